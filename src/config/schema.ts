import { z } from 'zod';
import { HEADER_NAME } from '../shared/http-token.js';
import { identityConfigSchema } from '../identity/config.js';
import { approvalsConfigSchema } from '../approvals/config.js';
import { adminAuthConfigSchema } from '../admin/admin-auth-config.js';
import { consoleConfigSchema } from '../admin/console/console-config.js';
import { shadowConfigSchema } from '../shadow/config.js';

/** `host:port`, `[v6]:port`, or `:port` for every interface (as Go and Envoy write it): `:9191` is `0.0.0.0:9191`. */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'must be host:port (e.g. 0.0.0.0:9191, or :9191 for every interface)')
  .refine((s) => !/:\d{1,5}$/.test(s) || Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535')
  .transform((s) => (s.startsWith(':') ? `0.0.0.0${s}` : s));

/**
 * The whole configuration. Every key is documented in docs/configuration.md; unknown keys are
 * errors (a typo must not silently fall back to a default).
 */
export const configSchema = z
  .object({
    grpc_addr: hostPort.default('0.0.0.0:9191'),
    http_addr: hostPort.default('0.0.0.0:8181'),
    admin_addr: hostPort.default('127.0.0.1:8282'),
    /** Worker processes serving gRPC (node:cluster). Unset: the CPUs this process may use (workerCount); 1: one process. */
    workers: z.number().int().min(1).max(1024).optional(),
    /**
     * Request and response semantics. `opa-envoy`: as OPA's Envoy plugin (form bodies parsed, parse errors answered
     * 400 by the server, no body added to a denial, decision_id in dynamic metadata). `auto`: `opa-envoy` when the
     * entrypoint starts with `envoy/`, else `none` (mcp-authz's own). See docs/opa-envoy-compat.md.
     */
    compat: z.enum(['auto', 'none', 'opa-envoy']).default('auto'),
    policy: z
      .object({
        bundle: z.string().min(1).optional(),
        dir: z.string().min(1).optional(),
        data: z.array(z.string().min(1)).default([]),
        entrypoint: z
          .string()
          .regex(/^[A-Za-z_][\w-]*(\/[A-Za-z_][\w-]*)*$/, 'must look like pkg/rule (e.g. mcp/authz/decision)')
          .default('mcp/authz/decision'),
        max_memory_pages: z.number().int().min(16).max(65536).default(2048),
        keep_revisions: z.number().int().min(1).max(100).default(5),
        /** Evaluation deadline: a check whose evaluation runs longer is denied (policy_timeout) and the evaluation cut off (docs/lifecycle.md). 0: no deadline. */
        eval_timeout_ms: z.number().int().min(0).max(60_000).default(100),
        /** Remote bundle (OPA bundle service protocol): polled with ETags. */
        bundle_url: z.string().url().optional(),
        bundle_poll: z
          .object({
            min_delay_seconds: z.number().positive().default(60),
            max_delay_seconds: z.number().positive().default(120),
            timeout_seconds: z.number().positive().default(10),
            bearer_token: z.string().min(1).optional(),
            bearer_token_file: z.string().min(1).optional(),
            max_bytes: z
              .number()
              .int()
              .positive()
              .default(64 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
        watch: z.boolean().default(true),
        /** Quiet time after the last change to a policy file before the reload starts. */
        watch_debounce_ms: z.number().int().min(0).max(60_000).default(300),
      })
      .strict()
      .prefault({}),
    body: z
      .object({
        max_bytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        max_depth: z.number().int().min(2).max(1000).default(64),
        max_batch: z.number().int().positive().max(10_000).default(64),
        malformed: z.enum(['deny', 'policy']).default('deny'),
        /** `always`: the raw body stays in input.attributes (as OPA's Envoy plugin). `unparsed`: only when it did not parse. */
        raw_in_input: z.enum(['always', 'unparsed']).default('always'),
      })
      .strict()
      .prefault({}),
    decision: z
      .object({
        deny_status: z.number().int().min(400).max(599).default(403),
        // A denial must not read as success: 2xx is refused (the policy's JSON-RPC error bodies aside).
        approval_status: z.number().int().min(300).max(599).default(403),
        /** Bounds on what a decision puts on the wire (bytes); beyond them the check is denied with decision_too_large. */
        max_header_bytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .max(3 * 1024 * 1024)
          .default(64 * 1024),
        max_metadata_bytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
      })
      .strict()
      .prefault({}),
    headers: z
      .object({
        /** Headers mcp-authz may inject; always stripped from the incoming request unless the decision sets them. */
        managed: z.array(z.string().regex(HEADER_NAME, 'must be a header name')).default([]),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        enabled: z.boolean().default(true),
        max_entries: z.number().int().positive().default(10_000),
        /** Bytes the entries may hold (estimated); least recently used entries are evicted beyond it. */
        max_bytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024 * 1024),
        ttl_seconds: z.number().positive().default(60),
        /** Header names left out of the cache key (request ids, trace headers). Replaces the default list. */
        volatile_headers: z.array(z.string().min(1)).optional(),
        /** Dotted input paths left out of the cache key. Replaces the default list. */
        volatile_paths: z.array(z.string().regex(/^[^.]+(\.[^.]+)*$/, 'must be a dotted path such as attributes.request.time')).optional(),
        /** 0: policies calling time.now_ns, uuid.*, rand.* bypass the cache. >0: cache them this long. */
        nondeterministic_ttl_seconds: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    observability: z
      .object({
        /** Tool names allowed as the `tool` metric label; every other tool is counted as `other`. */
        known_tools: z.array(z.string().min(1)).default([]),
        decision_log: z
          .object({
            enabled: z.boolean().default(true),
            /** Share of allowed decisions logged (0..1); every denial, approval and error is logged. */
            allow_sample_rate: z.number().min(0).max(1).default(1),
            /** Paths redacted from logged inputs and claims; see docs/observability.md. */
            redact_fields: z.array(z.string().min(1)).default([]),
            /** Log the full input document (redacted). Off by default. */
            log_input: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `json` (one JSON object a line, for log pipelines) or `text` (one readable line, for a terminal). */
        log_format: z.enum(['json', 'text']).default('json'),
      })
      .strict()
      .prefault({}),
    identity: identityConfigSchema.prefault({}),
    approvals: approvalsConfigSchema.prefault({}),
    console: consoleConfigSchema.prefault({}),
    admin_auth: adminAuthConfigSchema.prefault({}),
    shadow: shadowConfigSchema.prefault({}),
    /** HTTP/2 connection limits of the gRPC listener (src/envoy/grpc-transport.ts); 0 turns one off. */
    grpc: z
      .object({
        keepalive_time_seconds: z.number().min(0).max(86_400).default(60),
        keepalive_timeout_seconds: z.number().positive().max(3_600).default(20),
        max_connection_idle_seconds: z.number().min(0).max(86_400).default(300),
        max_connection_age_seconds: z.number().min(0).max(604_800).default(0),
        max_connection_age_grace_seconds: z.number().min(0).max(86_400).default(0),
        max_concurrent_streams: z.number().int().min(0).max(2_147_483_647).default(0),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** On SIGTERM: NOT_SERVING, still answering, for this long before the port closes (Envoy's health check sees it). */
        drain_delay_seconds: z.number().min(0).max(600).default(5),
        grace_seconds: z.number().min(0).max(600).default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const sources = [
      cfg.policy.bundle && 'policy.bundle (--bundle)',
      cfg.policy.dir && 'policy.dir (--policy)',
      cfg.policy.bundle_url && 'policy.bundle_url (--bundle-url)',
    ].filter(Boolean);
    if (sources.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: `set one policy source, not ${sources.join(' and ')}` });
    }
    if (cfg.policy.bundle_poll.min_delay_seconds > cfg.policy.bundle_poll.max_delay_seconds) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'bundle_poll'], message: 'min_delay_seconds must not exceed max_delay_seconds' });
    }
  });

export type Config = z.output<typeof configSchema>;
