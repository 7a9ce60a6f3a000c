import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port (e.g. 0.0.0.0:9191)')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/**
 * The whole configuration. Every key is documented in the README's configuration reference; unknown keys are
 * errors (a typo must not silently fall back to a default).
 */
export const configSchema = z
  .object({
    grpc_addr: hostPort.default('0.0.0.0:9191'),
    http_addr: hostPort.default('0.0.0.0:8181'),
    admin_addr: hostPort.default('127.0.0.1:8282'),
    policy: z
      .object({
        bundle: z.string().min(1).optional(),
        dir: z.string().min(1).optional(),
        data: z.array(z.string().min(1)).default([]),
        entrypoint: z.string().regex(/^[A-Za-z_][\w-]*(\/[A-Za-z_][\w-]*)*$/, 'must look like pkg/rule (e.g. mcp/authz/decision)').default('mcp/authz/decision'),
        max_memory_pages: z.number().int().min(16).max(65536).default(2048),
        keep_revisions: z.number().int().min(1).max(100).default(5),
        watch: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    body: z
      .object({
        max_bytes: z.number().int().positive().default(1024 * 1024),
        max_depth: z.number().int().min(2).max(1000).default(64),
        max_batch: z.number().int().positive().max(10_000).default(64),
        malformed: z.enum(['deny', 'policy']).default('deny'),
      })
      .strict()
      .prefault({}),
    decision: z
      .object({
        deny_status: z.number().int().min(400).max(599).default(403),
        approval_status: z.number().int().min(200).max(599).default(403),
      })
      .strict()
      .prefault({}),
    headers: z
      .object({
        /** Headers mcp-authz may inject; always stripped from the incoming request unless the decision sets them. */
        managed: z.array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a header name')).default([]),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({ grace_seconds: z.number().min(0).max(600).default(10) })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.policy.bundle && cfg.policy.dir) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: 'set either policy.bundle (--bundle) or policy.dir (--policy), not both' });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
