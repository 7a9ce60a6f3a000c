import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../package-root.js';
import type { Policy } from './opa-wasm.js';
import { revisionKey } from './policy-store.js';

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

/** Distinct policies kept instantiated on the evaluation thread (the active one and the one before it). */
const KEEP_LOADED = 2;

export function createEvaluator(opts: EvaluatorOptions): Evaluator {
  const file = opts.workerFile ?? defaultWorkerFile();
  const keys = new WeakMap<Policy, string>();
  const keyOf = (p: Policy): string => {
    let k = keys.get(p);
    if (k === undefined) keys.set(p, (k = `${revisionKey(p)}\u0000${p.entrypoint}`));
    return k;
  };

  let worker: Worker | undefined;
  // [0]: id of the evaluation running now (0: none); [1]: when it started, ms since `epoch`, wrapping int32.
  let slot = new Int32Array(new SharedArrayBuffer(8));
  let epoch = Date.now();
  let state = new Map<string, { ready: boolean; policy: Policy; used: number }>();
  const waiting = new Map<string, Job[]>();
  const inflight = new Map<number, Job>();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let restarts = 0;
  let crashesInARow = 0;
  let closed = false;

  const spawn = (): Worker => {
    slot = new Int32Array(new SharedArrayBuffer(8));
    epoch = Date.now();
    const w = new Worker(file, { workerData: { slot: slot.buffer, epoch } });
    w.unref();
    w.on('message', (m: Out) => {
      if (w === worker) onMessage(m);
    });
    w.on('error', (err) => {
      if (w === worker) restart('crash', err.message);
    });
    w.on('exit', (code) => {
      if (w === worker && !closed) restart('crash', `the evaluation thread exited with code ${code}`);
    });
    state = new Map();
    return w;
  };

  const onMessage = (m: Out): void => {
    if (m.t === 'loaded') {
      const s = state.get(m.key);
      const jobs = waiting.get(m.key) ?? [];
      waiting.delete(m.key);
      if (m.error !== undefined || !s) {
        state.delete(m.key);
        for (const j of jobs) j.reject(new Error(`cannot instantiate the policy on the evaluation thread: ${m.error ?? 'unknown'}`));
        return;
      }
      s.ready = true;
      for (const j of jobs) send(j);
      trimLoaded();
      return;
    }
    const job = inflight.get(m.id);
    if (!job) return;
    inflight.delete(m.id);
    crashesInARow = 0;
    if (m.t === 'done') job.resolve(m.result);
    else job.reject(new Error(m.error));
  };

  const submit = (job: Job): void => {
    worker ??= spawn();
    const s = state.get(job.key);
    if (s?.ready) {
      s.used = job.id;
      send(job);
      return;
    }
    const queue = waiting.get(job.key);
    if (queue) queue.push(job);
    else waiting.set(job.key, [job]);
    if (!s) load(job.policy, job.key, job.id);
  };

  const load = (policy: Policy, key: string, used: number): void => {
    state.set(key, { ready: false, policy, used });
    worker!.postMessage({ t: 'load', key, artifact: policy.artifact });
  };

  const send = (job: Job): void => {
    inflight.set(job.id, job);
    worker!.postMessage({ t: 'eval', id: job.id, key: job.key, input: job.input });
    if (!timer) timer = setTimeout(watchdog, opts.timeoutMs).unref();
  };

  /** Drop the least recently used instantiated policies beyond KEEP_LOADED that no queued check needs. */
  const trimLoaded = (): void => {
    if (state.size <= KEEP_LOADED) return;
    const busy = new Set([...inflight.values()].map((j) => j.key));
    const candidates = [...state.entries()].filter(([k, s]) => s.ready && !busy.has(k) && !waiting.has(k)).sort((a, b) => a[1].used - b[1].used);
    for (const [k] of candidates.slice(0, state.size - KEEP_LOADED)) {
      state.delete(k);
      worker!.postMessage({ t: 'drop', key: k });
    }
  };

  /** Runs while evaluations are in flight: stops the thread when the running one passed the deadline. */
  const watchdog = (): void => {
    timer = undefined;
    if (closed || inflight.size === 0) return;
    const running = Atomics.load(slot, 0);
    if (running !== 0 && inflight.has(running)) {
      const elapsed = (((Date.now() - epoch) | 0) - Atomics.load(slot, 1)) | 0;
      if (elapsed >= opts.timeoutMs) {
        restart('timeout', undefined, running);
        return;
      }
      timer = setTimeout(watchdog, Math.max(1, opts.timeoutMs - elapsed)).unref();
      return;
    }
    timer = setTimeout(watchdog, opts.timeoutMs).unref();
  };

  /** Replace the thread: the culprit's check fails, every other queued evaluation runs again on the new one. */
  const restart = (reason: 'timeout' | 'crash', error?: string, culpritId?: number): void => {
    if (closed) return;
    const old = worker;
    worker = undefined;
    clearTimeout(timer);
    timer = undefined;
    void old?.terminate();
    restarts++;
    const running = culpritId ?? Atomics.load(slot, 0);
    const culprit = inflight.get(running) ?? (reason === 'crash' ? inflight.values().next().value : undefined);
    if (culprit) inflight.delete(culprit.id);
    opts.onRestart?.({ reason, ...(culprit ? { revision: culprit.policy.revision } : {}), ...(error ? { error } : {}) });
    if (culprit) culprit.reject(reason === 'timeout' ? new PolicyTimeoutError(opts.timeoutMs) : new Error(`the evaluation thread crashed: ${error ?? 'unknown'}`));

    const again = [...inflight.values(), ...[...waiting.values()].flat()].sort((a, b) => a.id - b.id);
    const policies = [...state.values()].sort((a, b) => b.used - a.used);
    inflight.clear();
    waiting.clear();
    if (reason === 'crash' && ++crashesInARow >= 3) {
      // The thread cannot run at all (e.g. it fails to start): fail what is queued; the next check tries again.
      for (const j of again) j.reject(new Error(`the evaluation thread keeps crashing: ${error ?? 'unknown'}`));
      crashesInARow = 0;
      return;
    }
    worker = spawn();
    // The policies in use are instantiated at once on the new thread, the most recent first.
    for (const s of policies.slice(0, KEEP_LOADED)) load(s.policy, keyOf(s.policy), s.used);
    for (const j of again) submit(j);
  };

  return {
    evaluate(policy, input) {
      if (closed) return Promise.reject(new Error('the evaluator is closed'));
      seq = seq >= 0x7fffffff ? 1 : seq + 1;
      const id = seq;
      const json = JSON.stringify(input);
      return new Promise((resolve, reject) => submit({ id, policy, key: keyOf(policy), input: json, resolve, reject }));
    },
    prepare(policy) {
      if (closed) return;
      worker ??= spawn();
      const key = keyOf(policy);
      if (!state.has(key)) load(policy, key, (seq = seq >= 0x7fffffff ? 1 : seq + 1));
    },
    restarts: () => restarts,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const j of [...inflight.values(), ...[...waiting.values()].flat()]) j.reject(new Error('the evaluator is closed'));
      inflight.clear();
      waiting.clear();
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}

/** dist/policy/eval-worker.js: beside this module when running from dist, else (vitest on src/) in dist. */
function defaultWorkerFile(): string {
  const here = fileURLToPath(new URL('./eval-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'policy', 'eval-worker.js');
}
