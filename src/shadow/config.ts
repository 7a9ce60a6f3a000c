import { z } from 'zod';

/** `shadow`: evaluating a candidate policy revision beside the active one on live traffic (docs/lifecycle.md#shadow-evaluation). */
export const shadowConfigSchema = z
  .object({
    /** Share of uncached checks (0..1) the candidate also evaluates, after the answer. */
    sample_rate: z.number().min(0).max(1).default(1),
    /** At most this many checks a second are shadowed (per process); the rest are not sampled. */
    max_per_second: z.number().int().min(1).max(1_000_000).default(200),
    /** Sampled checks waiting for the candidate; when it is full a sampled check is dropped (counted). */
    queue_size: z.number().int().min(1).max(100_000).default(1000),
    /** Differences kept for the report and the console (the oldest go first); the counts cover them all. */
    max_differences: z.number().int().min(1).max(100_000).default(1000),
    /** The candidate's own evaluation deadline; longer is a difference of kind `error`. */
    eval_timeout_ms: z.number().int().min(1).max(60_000).default(10),
  })
  .strict();

export type ShadowConfig = z.output<typeof shadowConfigSchema>;
