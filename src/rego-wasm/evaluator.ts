import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../shared/package-root.js';
import type { Policy } from './opa-wasm.js';
import { revisionKey } from '../policy/policy-store.js';

/** The evaluation ran past the deadline and was stopped (reason code `policy_timeout`). */
export class PolicyTimeoutError extends Error {
  readonly code = 'policy_timeout';
  constructor(readonly timeoutMs: number) {
    super(`the policy evaluation ran longer than ${timeoutMs} ms and was stopped`);
    this.name = 'PolicyTimeoutError';
  }
}

export interface EvaluatorOptions {
  /** Evaluation deadline (config `policy.eval_timeout_ms`). */
  timeoutMs: number;
  /** Told when an evaluation was stopped, or the thread died; the evaluator has already restarted it. */
  onRestart?: (info: { reason: 'timeout' | 'crash'; revision?: string; error?: string }) => void;
  /** The worker script (default: eval-worker.js beside this module, built into dist/). */
  workerFile?: string | URL;
}

/**
 * `(policy, input) => Promise<raw result set>`, evaluated on a worker thread that can be stopped: a runaway
 * evaluation is terminated at the deadline (Worker.terminate interrupts WebAssembly loops), its check is rejected
 * with PolicyTimeoutError, and a new thread takes over the queued evaluations with the same policies. The calling
 * thread never blocks, so health checks and cached answers keep flowing meanwhile.
 */
export interface Evaluator {
  evaluate(policy: Policy, input: unknown): Promise<unknown>;
  /** Instantiate a policy on the evaluation thread ahead of its first check (call on every activation). */
  prepare(policy: Policy): void;
  /** Threads started after a timeout or a crash, so far. */
  restarts(): number;
  close(): Promise<void>;
}

interface Job {
  id: number;
  policy: Policy;
  key: string;
  input: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

type Out = { t: 'loaded'; key: string; error?: string } | { t: 'done'; id: number; result: unknown } | { t: 'failed'; id: number; error: string };

/**
 * The evaluation thread's own V8 heap: it allocates little per evaluation (the input's JSON text, its encoded
 * bytes, the result), so a small young generation does; V8's default grows it with the process's memory (measured
 * with the default policy over 20,000 checks: thread heap 19 MB with the default, 16 MB with 4 MB, same CPU per
 * check within the noise). Large strings go to the large-object space, which this does not limit; the old
 * generation keeps V8's default (a limit there would crash the thread on a large input).
 */
const EVAL_THREAD_LIMITS = { maxYoungGenerationSizeMb: 4 };

/** Distinct policies kept instantiated on the evaluation thread (the active one and the one before it). */
const KEEP_LOADED = 2;

/** One evaluation thread and what it has instantiated. */
interface Thread {
  worker: Worker;
  // [0]: id of the evaluation running now (0: none); [1]: when it started, ms since `epoch`, wrapping int32.
  slot: Int32Array;
  epoch: number;
  state: Map<string, { ready: boolean; policy: Policy; used: number }>;
}

export function createEvaluator(opts: EvaluatorOptions): Evaluator {
  const file = opts.workerFile ?? defaultWorkerFile();
  const keys = new WeakMap<Policy, string>();
  const keyOf = (p: Policy): string => {
    let k = keys.get(p);
    if (k === undefined) keys.set(p, (k = `${revisionKey(p)}\u0000${p.entrypoint}`));
    return k;
  };

  let active: Thread | undefined;
  // After the first restart a standby thread is kept with the same policies instantiated, so the next runaway
  // evaluation is replaced at once instead of after a thread start (a policy that ran away once tends to again).
  let spare: Thread | undefined;
  const waiting = new Map<string, Job[]>();
  const inflight = new Map<number, Job>();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let restarts = 0;
  let crashesInARow = 0;
  let closed = false;
  const nextId = (): number => (seq = seq >= 0x7fffffff ? 1 : seq + 1);

  const spawn = (): Thread => {
    const slot = new Int32Array(new SharedArrayBuffer(8));
    const epoch = Date.now();
    const t: Thread = {
      worker: new Worker(file, { workerData: { slot: slot.buffer, epoch }, resourceLimits: EVAL_THREAD_LIMITS }),
      slot,
      epoch,
      state: new Map(),
    };
    t.worker.unref();
    t.worker.on('message', (m: Out) => onMessage(t, m));
    const died = (error: string): void => {
      if (closed) return;
      if (t === active) restart('crash', error);
      else if (t === spare) spare = undefined;
    };
    t.worker.on('error', (err) => died(err.message));
    t.worker.on('exit', (code) => died(`the evaluation thread exited with code ${code}`));
    return t;
  };

  const onMessage = (t: Thread, m: Out): void => {
    if (m.t === 'loaded') {
      const s = t.state.get(m.key);
      if (t !== active) {
        if (m.error !== undefined) t.state.delete(m.key);
        else if (s) s.ready = true;
        return;
      }
      const jobs = waiting.get(m.key) ?? [];
      waiting.delete(m.key);
      if (m.error !== undefined || !s) {
        t.state.delete(m.key);
        for (const j of jobs) j.reject(new Error(`cannot instantiate the policy on the evaluation thread: ${m.error ?? 'unknown'}`));
        return;
      }
      s.ready = true;
      for (const j of jobs) send(t, j);
      trimLoaded(t);
      return;
    }
    if (t !== active) return;
    const job = inflight.get(m.id);
    if (!job) return;
    inflight.delete(m.id);
    crashesInARow = 0;
    if (m.t === 'done') job.resolve(m.result);
    else job.reject(new Error(m.error));
  };

  const submit = (job: Job): void => {
    const t = (active ??= spawn());
    const s = t.state.get(job.key);
    if (s?.ready) {
      s.used = job.id;
      send(t, job);
      return;
    }
    const queue = waiting.get(job.key);
    if (queue) queue.push(job);
    else waiting.set(job.key, [job]);
    if (!s) load(t, job.policy, job.key, job.id);
  };

  const load = (t: Thread, policy: Policy, key: string, used: number): void => {
    t.state.set(key, { ready: false, policy, used });
    t.worker.postMessage({ t: 'load', key, artifact: policy.artifact });
  };

  const send = (t: Thread, job: Job): void => {
    inflight.set(job.id, job);
    t.worker.postMessage({ t: 'eval', id: job.id, key: job.key, input: job.input });
    if (!timer) timer = setTimeout(watchdog, opts.timeoutMs).unref();
  };

  /** Drop the least recently used instantiated policies beyond KEEP_LOADED that no queued check needs. */
  const trimLoaded = (t: Thread): void => {
    if (t.state.size <= KEEP_LOADED) return;
    const busy = new Set([...inflight.values()].map((j) => j.key));
    const candidates = [...t.state.entries()].filter(([k, s]) => s.ready && !busy.has(k) && !waiting.has(k)).sort((a, b) => a[1].used - b[1].used);
    for (const [k] of candidates.slice(0, t.state.size - KEEP_LOADED)) {
      for (const th of [t, spare]) {
        if (th?.state.delete(k)) th.worker.postMessage({ t: 'drop', key: k });
      }
    }
  };

  /** Runs while evaluations are in flight: stops the thread when the running one passed the deadline. */
  const watchdog = (): void => {
    timer = undefined;
    if (closed || inflight.size === 0 || !active) return;
    const running = Atomics.load(active.slot, 0);
    if (running !== 0 && inflight.has(running)) {
      const elapsed = (((Date.now() - active.epoch) | 0) - Atomics.load(active.slot, 1)) | 0;
      if (elapsed >= opts.timeoutMs) {
        restart('timeout', undefined, running);
        return;
      }
      timer = setTimeout(watchdog, Math.max(1, opts.timeoutMs - elapsed)).unref();
      return;
    }
    timer = setTimeout(watchdog, opts.timeoutMs).unref();
  };

  /** A standby thread with the most recently used policies instantiated. */
  const standby = (policies: { policy: Policy; used: number }[]): Thread => {
    const t = spawn();
    for (const s of policies.slice(0, KEEP_LOADED)) load(t, s.policy, keyOf(s.policy), s.used);
    return t;
  };

  /** Replace the thread: the culprit's check fails, every other queued evaluation runs again on the new one. */
  const restart = (reason: 'timeout' | 'crash', error?: string, culpritId?: number): void => {
    if (closed || !active) return;
    const old = active;
    active = undefined;
    clearTimeout(timer);
    timer = undefined;
    void old.worker.terminate();
    restarts++;
    const running = culpritId ?? Atomics.load(old.slot, 0);
    const culprit = inflight.get(running) ?? (reason === 'crash' ? inflight.values().next().value : undefined);
    if (culprit) inflight.delete(culprit.id);
    opts.onRestart?.({ reason, ...(culprit ? { revision: culprit.policy.revision } : {}), ...(error ? { error } : {}) });
    if (culprit)
      culprit.reject(
        reason === 'timeout' ? new PolicyTimeoutError(opts.timeoutMs) : new Error(`the evaluation thread crashed: ${error ?? 'unknown'}`),
      );

    const again = [...inflight.values(), ...[...waiting.values()].flat()].sort((a, b) => a.id - b.id);
    const policies = [...old.state.values()].sort((a, b) => b.used - a.used);
    inflight.clear();
    waiting.clear();
    if (reason === 'crash' && ++crashesInARow >= 3) {
      // The thread cannot run at all (e.g. it fails to start): fail what is queued; the next check tries again.
      for (const j of again) j.reject(new Error(`the evaluation thread keeps crashing: ${error ?? 'unknown'}`));
      crashesInARow = 0;
      void spare?.worker.terminate();
      spare = undefined;
      return;
    }
    // The standby takes over at once (its policies are instantiated or on their way); a new standby starts behind it.
    active = spare ?? standby(policies);
    spare = standby(policies);
    for (const s of policies.slice(0, KEEP_LOADED)) {
      const key = keyOf(s.policy);
      if (!active.state.has(key)) load(active, s.policy, key, s.used);
    }
    for (const j of again) submit(j);
  };

  return {
    evaluate(policy, input) {
      if (closed) return Promise.reject(new Error('the evaluator is closed'));
      const id = nextId();
      const json = JSON.stringify(input);
      return new Promise((resolve, reject) => submit({ id, policy, key: keyOf(policy), input: json, resolve, reject }));
    },
    prepare(policy) {
      if (closed) return;
      const key = keyOf(policy);
      const used = nextId();
      for (const t of [(active ??= spawn()), spare]) if (t && !t.state.has(key)) load(t, policy, key, used);
    },
    restarts: () => restarts,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const j of [...inflight.values(), ...[...waiting.values()].flat()]) j.reject(new Error('the evaluator is closed'));
      inflight.clear();
      waiting.clear();
      const threads = [active, spare];
      active = spare = undefined;
      await Promise.all(threads.map((t) => t?.worker.terminate()));
    },
  };
}

/** dist/rego-wasm/eval-worker.js: beside this module when running from dist, else (vitest on src/) in dist. */
function defaultWorkerFile(): string {
  const here = fileURLToPath(new URL('./eval-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'rego-wasm', 'eval-worker.js');
}
