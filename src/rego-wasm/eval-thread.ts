import { Worker } from 'node:worker_threads';
import type { Policy } from './opa-wasm.js';

/** What the evaluation thread (eval-worker.ts) answers. */
export type ThreadMessage =
  | { t: 'loaded'; key: string; error?: string }
  | { t: 'done'; id: number; result: unknown }
  | { t: 'failed'; id: number; error: string };

/** A policy instantiated (or being instantiated) on a thread; `used` orders them by last use. */
export interface ThreadPolicy {
  ready: boolean;
  policy: Policy;
  used: number;
}

/**
 * The evaluation thread's own V8 heap: it allocates little per evaluation (the input's JSON text, its encoded
 * bytes, the result), so a small young generation does; V8's default grows it with the process's memory (measured
 * with the default policy over 20,000 checks: thread heap 19 MB with the default, 16 MB with 4 MB, same CPU per
 * check within the noise). Large strings go to the large-object space, which this does not limit; the old
 * generation keeps V8's default (a limit there would crash the thread on a large input).
 */
const EVAL_THREAD_LIMITS = { maxYoungGenerationSizeMb: 4 };

/** One evaluation thread (a worker_thread running eval-worker.js) and the policies it has instantiated. */
export class EvalThread {
  readonly worker: Worker;
  /** [0]: id of the evaluation running now (0: none); [1]: when it started, ms since `epoch`, wrapping int32. */
  private readonly slot = new Int32Array(new SharedArrayBuffer(8));
  private readonly epoch = Date.now();
  readonly policies = new Map<string, ThreadPolicy>();

  constructor(file: string | URL, onMessage: (m: ThreadMessage) => void, onDeath: (error: string) => void) {
    this.worker = new Worker(file, { workerData: { slot: this.slot.buffer, epoch: this.epoch }, resourceLimits: EVAL_THREAD_LIMITS });
    this.worker.unref();
    this.worker.on('message', onMessage);
    this.worker.on('error', (err) => onDeath(err.message));
    this.worker.on('exit', (code) => onDeath(`the evaluation thread exited with code ${code}`));
  }

  /** Instantiate `policy` under `key` on this thread. */
  load(key: string, policy: Policy, used: number): void {
    this.policies.set(key, { ready: false, policy, used });
    this.worker.postMessage({ t: 'load', key, artifact: policy.artifact });
  }

  /** Forget the policy under `key`, if this thread has it. */
  drop(key: string): void {
    if (this.policies.delete(key)) this.worker.postMessage({ t: 'drop', key });
  }

  evaluate(id: number, key: string, input: string): void {
    this.worker.postMessage({ t: 'eval', id, key, input });
  }

  /** The id of the evaluation running now (0: none). */
  running(): number {
    return Atomics.load(this.slot, 0);
  }

  /** How long the running evaluation has been running, in ms. */
  runningMs(): number {
    return (((Date.now() - this.epoch) | 0) - Atomics.load(this.slot, 1)) | 0;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
