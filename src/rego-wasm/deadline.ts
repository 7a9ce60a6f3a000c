import { FUEL_PER_REFILL } from './fuel-meter.js';

/** The evaluation ran out of its time budget and was cut off by the fuel meter (fuel-meter.ts). */
export class DeadlineExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`the policy evaluation ran longer than ${budgetMs} ms and was cut off`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * The deadline of the evaluation running on one policy instance. The metered module calls `refill` when its fuel
 * runs out (every FUEL_PER_REFILL function entries and loop iterations): one clock read, then more fuel, or
 * DeadlineExceeded, which unwinds the evaluation.
 */
export class Deadline {
  private until = Number.POSITIVE_INFINITY;
  private budgetMs = 0;

  /** Arm for one evaluation of at most `budgetMs` (undefined: no deadline). */
  start(budgetMs: number | undefined): void {
    this.budgetMs = budgetMs ?? 0;
    this.until = budgetMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + budgetMs;
  }

  readonly refill = (): number => {
    if (performance.now() >= this.until) throw new DeadlineExceeded(this.budgetMs);
    return FUEL_PER_REFILL;
  };
}
