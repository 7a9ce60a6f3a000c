import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EvalThread, type ThreadMessage, type ThreadPolicy } from './eval-thread.js';
import { type Policy, revisionKey } from './opa-wasm.js';

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

/** Distinct policies kept instantiated on the evaluation thread (the active one and the one before it). */
const KEEP_LOADED = 2;

export function createEvaluator(opts: EvaluatorOptions): Evaluator {
  return new ThreadEvaluator(opts);
}

/**
 * The evaluator's state: the thread evaluating now, a standby, the checks queued per policy and those sent to
 * the thread, the watchdog timer. Only the calling thread touches it.
 */
class ThreadEvaluator implements Evaluator {
  private readonly file: string | URL;
  private readonly keys = new WeakMap<Policy, string>();
  private active: EvalThread | undefined;
  // After the first restart a standby thread is kept with the same policies instantiated, so the next runaway
  // evaluation is replaced at once instead of after a thread start (a policy that ran away once tends to again).
  private spare: EvalThread | undefined;
  /** Checks waiting for their policy to be instantiated on the active thread, by policy key. */
  private readonly waiting = new Map<string, Job[]>();
  /** Checks sent to the active thread, by id. */
  private readonly inflight = new Map<number, Job>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private restartCount = 0;
  private crashesInARow = 0;
  private closed = false;

  constructor(private readonly opts: EvaluatorOptions) {
    this.file = opts.workerFile ?? defaultWorkerFile();
  }

  evaluate(policy: Policy, input: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the evaluator is closed'));
    const id = this.nextId();
    const json = JSON.stringify(input);
    return new Promise((resolve, reject) => this.submit({ id, policy, key: this.keyOf(policy), input: json, resolve, reject }));
  }

  prepare(policy: Policy): void {
    if (this.closed) return;
    const key = this.keyOf(policy);
    const used = this.nextId();
    for (const t of [(this.active ??= this.spawn()), this.spare]) if (t && !t.policies.has(key)) t.load(key, policy, used);
  }

  restarts(): number {
    return this.restartCount;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const j of [...this.inflight.values(), ...[...this.waiting.values()].flat()]) j.reject(new Error('the evaluator is closed'));
    this.inflight.clear();
    this.waiting.clear();
    const threads = [this.active, this.spare];
    this.active = this.spare = undefined;
    await Promise.all(threads.map((t) => t?.terminate()));
  }

  private keyOf(p: Policy): string {
    let k = this.keys.get(p);
    if (k === undefined) this.keys.set(p, (k = `${revisionKey(p)}\u0000${p.entrypoint}`));
    return k;
  }

  private nextId(): number {
    return (this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1);
  }

  private spawn(): EvalThread {
    const t: EvalThread = new EvalThread(
      this.file,
      (m) => this.onMessage(t, m),
      (error) => {
        if (this.closed) return;
        if (t === this.active) this.restart('crash', error);
        else if (t === this.spare) this.spare = undefined;
      },
    );
    return t;
  }

  private onMessage(t: EvalThread, m: ThreadMessage): void {
    if (m.t === 'loaded') {
      const s = t.policies.get(m.key);
      if (t !== this.active) {
        if (m.error !== undefined) t.policies.delete(m.key);
        else if (s) s.ready = true;
        return;
      }
      const jobs = this.waiting.get(m.key) ?? [];
      this.waiting.delete(m.key);
      if (m.error !== undefined || !s) {
        t.policies.delete(m.key);
        for (const j of jobs) j.reject(new Error(`cannot instantiate the policy on the evaluation thread: ${m.error ?? 'unknown'}`));
        return;
      }
      s.ready = true;
      for (const j of jobs) this.send(t, j);
      this.trimLoaded(t);
      return;
    }
    if (t !== this.active) return;
    const job = this.inflight.get(m.id);
    if (!job) return;
    this.inflight.delete(m.id);
    this.crashesInARow = 0;
    if (m.t === 'done') job.resolve(m.result);
    else job.reject(new Error(m.error));
  }

  private submit(job: Job): void {
    const t = (this.active ??= this.spawn());
    const s = t.policies.get(job.key);
    if (s?.ready) {
      s.used = job.id;
      this.send(t, job);
      return;
    }
    const queue = this.waiting.get(job.key);
    if (queue) queue.push(job);
    else this.waiting.set(job.key, [job]);
    if (!s) t.load(job.key, job.policy, job.id);
  }

  private send(t: EvalThread, job: Job): void {
    this.inflight.set(job.id, job);
    t.evaluate(job.id, job.key, job.input);
    if (!this.timer) this.timer = setTimeout(() => this.watchdog(), this.opts.timeoutMs).unref();
  }

  /** Drop the least recently used instantiated policies beyond KEEP_LOADED that no queued check needs. */
  private trimLoaded(t: EvalThread): void {
    if (t.policies.size <= KEEP_LOADED) return;
    const busy = new Set([...this.inflight.values()].map((j) => j.key));
    const candidates = [...t.policies.entries()]
      .filter(([k, s]) => s.ready && !busy.has(k) && !this.waiting.has(k))
      .sort((a, b) => a[1].used - b[1].used);
    for (const [k] of candidates.slice(0, t.policies.size - KEEP_LOADED)) {
      t.drop(k);
      this.spare?.drop(k);
    }
  }

  /** Runs while evaluations are in flight: stops the thread when the running one passed the deadline. */
  private watchdog(): void {
    this.timer = undefined;
    const active = this.active;
    if (this.closed || this.inflight.size === 0 || !active) return;
    const running = active.running();
    if (running !== 0 && this.inflight.has(running)) {
      const elapsed = active.runningMs();
      if (elapsed >= this.opts.timeoutMs) {
        this.restart('timeout', undefined, running);
        return;
      }
      this.timer = setTimeout(() => this.watchdog(), Math.max(1, this.opts.timeoutMs - elapsed)).unref();
      return;
    }
    this.timer = setTimeout(() => this.watchdog(), this.opts.timeoutMs).unref();
  }

  /** A standby thread with the most recently used policies instantiated. */
  private standby(policies: ThreadPolicy[]): EvalThread {
    const t = this.spawn();
    for (const s of policies.slice(0, KEEP_LOADED)) t.load(this.keyOf(s.policy), s.policy, s.used);
    return t;
  }

  /** Replace the thread: the culprit's check fails, every other queued evaluation runs again on the new one. */
  private restart(reason: 'timeout' | 'crash', error?: string, culpritId?: number): void {
    if (this.closed || !this.active) return;
    const old = this.active;
    this.active = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    void old.terminate();
    this.restartCount++;
    const running = culpritId ?? old.running();
    const culprit = this.inflight.get(running) ?? (reason === 'crash' ? this.inflight.values().next().value : undefined);
    if (culprit) this.inflight.delete(culprit.id);
    this.opts.onRestart?.({ reason, ...(culprit ? { revision: culprit.policy.revision } : {}), ...(error ? { error } : {}) });
    if (culprit)
      culprit.reject(
        reason === 'timeout' ? new PolicyTimeoutError(this.opts.timeoutMs) : new Error(`the evaluation thread crashed: ${error ?? 'unknown'}`),
      );

    const again = [...this.inflight.values(), ...[...this.waiting.values()].flat()].sort((a, b) => a.id - b.id);
    const policies = [...old.policies.values()].sort((a, b) => b.used - a.used);
    this.inflight.clear();
    this.waiting.clear();
    if (reason === 'crash' && ++this.crashesInARow >= 3) {
      // The thread cannot run at all (e.g. it fails to start): fail what is queued; the next check tries again.
      for (const j of again) j.reject(new Error(`the evaluation thread keeps crashing: ${error ?? 'unknown'}`));
      this.crashesInARow = 0;
      void this.spare?.terminate();
      this.spare = undefined;
      return;
    }
    // The standby takes over at once (its policies are instantiated or on their way); a new standby starts behind it.
    const active = this.spare ?? this.standby(policies);
    this.active = active;
    this.spare = this.standby(policies);
    for (const s of policies.slice(0, KEEP_LOADED)) {
      const key = this.keyOf(s.policy);
      if (!active.policies.has(key)) active.load(key, s.policy, s.used);
    }
    for (const j of again) this.submit(j);
  }
}

/** dist/rego-wasm/eval-worker.js: beside this module when running from dist, else (vitest on src/rego-wasm/) in dist. */
function defaultWorkerFile(): string {
  const here = fileURLToPath(new URL('./eval-worker.js', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../../dist/rego-wasm/eval-worker.js', import.meta.url));
}
