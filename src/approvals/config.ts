import { z } from 'zod';

/** `approvals`: the human-approval loop for require_approval decisions (docs/approvals.md). */
export const approvalsConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** sqlite: one file every worker of a pod shares (embedded default). redis: shared by every replica. */
    store: z.enum(['sqlite', 'redis']).default('sqlite'),
    sqlite: z
      .object({
        /** Unset: approvals.db in a private directory per server under the OS temp directory, removed at exit. */
        path: z.string().min(1).optional(),
        busy_timeout_ms: z.number().int().min(0).max(60_000).default(2000),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379'),
        /**
         * The environment variable holding the Redis password (for an ACL user, put the user name in the URL:
         * redis://mcp-authz@host:6379). Read once at startup; it overrides a password in the URL.
         */
        password_env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, such as REDIS_PASSWORD')
          .optional(),
        key_prefix: z.string().min(1).default('mcp-authz:{approvals}:'),
        /** Below the gateway's ext_authz timeout (0.5 s in manifests/istio), so a Redis outage is a 403, not a 503. */
        command_timeout_ms: z.number().int().positive().max(60_000).default(200),
      })
      .strict()
      .prefault({}),
    /** Checks one approval lets through, unless the approver says otherwise (--uses). */
    default_uses: z.number().int().positive().max(1_000_000).default(1),
    /** How long a grant lasts, unless the approver says otherwise (--ttl). */
    default_ttl_seconds: z.number().int().positive().default(3600),
    /**
     * Approvals that are over (rejected, used, expired) and were last seen longer ago than this are deleted with
     * their audit events, checked hourly. 0 keeps them forever.
     */
    retention_seconds: z
      .number()
      .int()
      .min(0)
      .default(30 * 24 * 3600),
    /** The longest TTL an approver may give. */
    max_ttl_seconds: z
      .number()
      .int()
      .positive()
      .default(7 * 24 * 3600),
    webhook: z
      .object({
        /** POSTed (JSON, Slack incoming-webhook compatible) for each new pending approval. */
        url: z.string().url().optional(),
        timeout_seconds: z.number().positive().max(60).default(5),
        max_attempts: z.number().int().min(1).max(20).default(5),
        initial_backoff_seconds: z.number().positive().max(600).default(1),
        /** Named in the message so approvers know where to go (e.g. the console behind kubectl port-forward). */
        console_url: z.string().url().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.default_ttl_seconds > c.max_ttl_seconds)
      ctx.addIssue({ code: 'custom', path: ['default_ttl_seconds'], message: 'must not exceed max_ttl_seconds' });
  });

export type ApprovalsConfig = z.output<typeof approvalsConfigSchema>;
