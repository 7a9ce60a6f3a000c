import { z } from 'zod';

/** `console`: the web console on the admin address (docs/console.md). */
export const consoleConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Most decisions per second copied into the live view (per process); the rest are counted, not kept. */
    sample_per_second: z.number().int().min(0).max(100_000).default(50),
    /** Recent decisions kept (a ring buffer). */
    buffer_size: z.number().int().min(10).max(100_000).default(1000),
    /**
     * Most bytes the recent decisions may hold (estimated as the cache does: twice their JSON, plus 512 each); the
     * oldest go first. Sized so the base Deployment's 1280Mi limit is safe whatever the bodies are.
     */
    buffer_max_bytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(1024 * 1024 * 1024)
      .default(32 * 1024 * 1024),
    /** Largest input (JSON bytes, redacted) kept with a decision; a larger one is kept truncated (its long strings cut). */
    input_max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(16 * 1024),
    /** A directory of `mcp-authz check --cases` suites (one sub-directory each) the playground can run. */
    cases_dir: z.string().min(1).optional(),
  })
  .strict();

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
