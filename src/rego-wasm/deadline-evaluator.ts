import { DeadlineExceeded } from './deadline.js';
import { createEvaluator, type Evaluator, type EvaluatorOptions, PolicyTimeoutError } from './evaluator.js';
import type { Policy } from './opa-wasm.js';

/**
 * How long an evaluation may run on the calling thread before it is handed to the evaluation thread (ms). An
 * ordinary evaluation takes tens of µs; a policy that loops, or an input that makes it explode, blocks the serving
 * thread (health, other checks) for at most about this long.
 */
export const CALLING_THREAD_SLICE_MS = 10;

/**
 * `(policy, input) => raw result set`, evaluated on the calling thread with its deadline kept by the fuel meter
 * (fuel-meter.ts), so an ordinary check costs no thread hop and its result comes back synchronously. An evaluation
 * still running after `sliceMs` is cut off there (its instance made again) and runs again on an evaluation thread
 * (evaluator.ts, started at the first such evaluation) for the rest of the deadline, where it is stopped as before:
 * the serving thread never stays blocked by a runaway policy. With a deadline no longer than the slice, the cut-off
 * on the calling thread is the timeout.
 */
export interface DeadlineEvaluator {
  evaluate(policy: Policy, input: unknown): unknown;
  /** Instantiate a policy ahead of its first slow check, on the evaluation thread if one runs (call on every activation). */
  prepare(policy: Policy): void;
  /** Evaluations stopped at the deadline on the calling thread, plus evaluation threads replaced. */
  restarts(): number;
  close(): Promise<void>;
}

export interface DeadlineEvaluatorOptions extends EvaluatorOptions {
  /** Default CALLING_THREAD_SLICE_MS. */
  sliceMs?: number;
}

export function createDeadlineEvaluator(opts: DeadlineEvaluatorOptions): DeadlineEvaluator {
  const slice = Math.min(opts.timeoutMs, opts.sliceMs ?? CALLING_THREAD_SLICE_MS);
  let thread: Evaluator | undefined;
  let cutOffs = 0;
  let closed = false;
  return {
    evaluate(policy, input) {
      if (closed) throw new Error('the evaluator is closed');
      try {
        return policy.evaluate(input, slice);
      } catch (err) {
        if (!(err instanceof DeadlineExceeded)) throw err;
        if (slice >= opts.timeoutMs) {
          cutOffs++;
          opts.onRestart?.({ reason: 'timeout', revision: policy.revision });
          throw new PolicyTimeoutError(opts.timeoutMs);
        }
        thread ??= createEvaluator({ ...opts, timeoutMs: opts.timeoutMs - slice });
        // Stopped there, it ran the whole deadline: the slice here and the rest on the thread.
        return thread.evaluate(policy, input).catch((e: unknown) => {
          throw e instanceof PolicyTimeoutError ? new PolicyTimeoutError(opts.timeoutMs) : e;
        });
      }
    },
    prepare(policy) {
      thread?.prepare(policy);
    },
    restarts: () => cutOffs + (thread?.restarts() ?? 0),
    async close() {
      closed = true;
      await thread?.close();
    },
  };
}
