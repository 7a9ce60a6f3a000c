import { z } from 'zod';

/** `console`: the web console on the admin address (docs/console.md). */
export const consoleConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Most decisions per second copied into the live view (per process); the rest are counted, not kept. */
    sample_per_second: z.number().int().min(0).max(100_000).default(50),
    /** Recent decisions kept (a ring buffer). */
    buffer_size: z.number().int().min(10).max(100_000).default(1000),
    /** A directory of `mcp-authz check --cases` suites (one sub-directory each) the playground can run. */
    cases_dir: z.string().min(1).optional(),
  })
  .strict();

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
