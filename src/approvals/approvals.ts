import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Decision, PolicyInput } from '../check/types.js';
import type { Redactor } from '../observability/redact.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { fsCause } from '../shared/fs-cause.js';
import { createApprovalMetrics } from './approval-metrics.js';
import type { ApprovalsConfig } from './config.js';
import { createApprovalGate } from './gate.js';
import { openSqliteStore } from './sqlite-store.js';
import type { ActionResult, ApprovalStore } from './types.js';
import { createWebhookNotifier, type Notifier } from './webhook.js';

export interface ApproveRequest {
  actor: string;
  uses?: number;
  ttlSeconds?: number;
  reason?: string | null;
}

export interface Approvals {
  store: ApprovalStore;
  /** Where the approvals live: the SQLite file, or the Redis URL without its password (the startup line says it). */
  location: string;
  /** The check-path step after the validated decision (see gate.ts). */
  gate(decision: Decision, input: PolicyInput, revision: string | undefined): Promise<Decision>;
  defaults: { uses: number; ttlSeconds: number; maxTtlSeconds: number };
  approve(id: string, req: ApproveRequest): Promise<ActionResult | { ok: false; error: 'bad_request'; message: string }>;
  reject(id: string, req: { actor: string; reason?: string | null }): Promise<ActionResult>;
  /** Put an expired or used approval back to pending. */
  reopen(id: string, req: { actor: string; reason?: string | null }): Promise<ActionResult>;
  /** Delete what approvals.retention_seconds no longer keeps (also run hourly by itself). Returns how many. */
  prune(now?: Date): Promise<number>;
  close(): Promise<void>;
}

const PRUNE_INTERVAL_MS = 3600_000;

/** Ends every approvals_store_unavailable message of the SQLite store: what the user can do. */
const SQLITE_WHAT_TO_DO = 'set approvals.sqlite.path (--approvals-db) to a file in a writable directory (a volume), or approvals.enabled: false';

/** Where a setting came from, with its key when that does not say it (`--approvals-db x (approvals.sqlite.path)`). */
const named = (origin: string, key: string): string => (origin.includes(key) ? origin : `${origin} (${key})`);

/**
 * Open the configured store and wire the gate, metrics, audit log lines and webhook around it. A store that cannot
 * be opened (a SQLite path that cannot be created or written, a Redis that does not answer PING) is a startup error,
 * approvals_store_unavailable, naming the setting (`origin`, as the user set it) and the cause.
 *
 * With approvals.sqlite.path unset, the file is `approvals.db` in a new private directory under the OS temp directory
 * (`/tmp/mcp-authz-XXXXXX/`), one per server (a cluster primary hands its path to its workers), removed at close:
 * two servers on one host never share grants.
 */
export async function createApprovals(
  cfg: ApprovalsConfig,
  deps: { registry: Registry; redactor: Redactor; logger: Logger; origin?: (key: string) => string },
): Promise<Approvals> {
  const origin = deps.origin ?? ((key: string) => key);
  let store: ApprovalStore;
  let location: string;
  let ownDir: string | undefined;
  if (cfg.store === 'redis') {
    // ioredis is imported only for the redis store; it is PINGed there (approvals_store_unavailable when it fails).
    const redis = await import('./redis-store.js');
    store = await redis.connectRedisStore(cfg.redis);
    location = redis.redisUrlShown(cfg.redis.url);
  } else {
    let path = cfg.sqlite.path;
    const setting =
      path === undefined
        ? `approvals.sqlite.path (unset: a private directory under ${tmpdir()})`
        : named(origin('approvals.sqlite.path'), 'approvals.sqlite.path');
    try {
      if (path === undefined) {
        try {
          ownDir = mkdtempSync(join(tmpdir(), 'mcp-authz-'));
        } catch (err) {
          throw new Error(`cannot create a directory in ${tmpdir()}: ${fsCause(err)}`);
        }
        path = join(ownDir, 'approvals.db');
      }
      store = openSqliteStore({ path, busyTimeoutMs: cfg.sqlite.busy_timeout_ms });
    } catch (err) {
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      throw new AuthzError(STARTUP_ERROR.approvals_store_unavailable, `${setting}: ${(err as Error).message}; ${SQLITE_WHAT_TO_DO}`);
    }
    location = path;
  }
  const metrics = createApprovalMetrics(deps.registry, store);
  const log = deps.logger.child({ component: 'approvals' });
  const notifier: Notifier | undefined = cfg.webhook.url
    ? createWebhookNotifier({
        url: cfg.webhook.url,
        timeoutMs: Math.round(cfg.webhook.timeout_seconds * 1000),
        maxAttempts: cfg.webhook.max_attempts,
        initialBackoffMs: Math.round(cfg.webhook.initial_backoff_seconds * 1000),
        ...(cfg.webhook.console_url ? { consoleUrl: cfg.webhook.console_url } : {}),
        onFailure: (err, attempts) => {
          metrics.webhookFailure();
          log.warn({ err: err.message, attempts }, 'approval webhook failed');
        },
      })
    : undefined;

  const gate = createApprovalGate(store, deps.redactor, {
    pending(a, expired) {
      if (expired) metrics.event('expired');
      metrics.event('requested');
      log.info({ approval_id: a.id, action: 'requested', agent: a.agent, tools: a.tools, rule: a.rule, expired }, 'approval pending');
      notifier?.notify(a);
    },
    used(a) {
      metrics.event('used');
      log.info({ approval_id: a.id, action: 'used', agent: a.agent, approved_by: a.decided_by, uses_left: a.uses_left }, 'approval used');
    },
    rejected: () => undefined,
    storeError(err) {
      metrics.storeError();
      log.error({ err: err.message, store: store.kind }, 'approval store failed; the check stays require_approval');
    },
  });

  const defaults = { uses: cfg.default_uses, ttlSeconds: cfg.default_ttl_seconds, maxTtlSeconds: cfg.max_ttl_seconds };
  const prune = async (now = new Date()): Promise<number> => {
    if (cfg.retention_seconds === 0) return 0;
    const n = await store.prune(new Date(now.getTime() - cfg.retention_seconds * 1000), now);
    if (n > 0) {
      metrics.pruned(n);
      log.info({ pruned: n, retention_seconds: cfg.retention_seconds }, 'old approvals pruned');
    }
    return n;
  };
  // Every process that holds the store prunes; deleting is idempotent (and compare-and-set in Redis).
  const pruneTimer =
    cfg.retention_seconds > 0
      ? setInterval(() => {
          prune().catch((err: Error) => log.warn({ err: err.message, store: store.kind }, 'pruning old approvals failed'));
        }, PRUNE_INTERVAL_MS)
      : undefined;
  pruneTimer?.unref();
  return {
    store,
    location,
    gate,
    defaults,
    async approve(id, req) {
      const uses = req.uses ?? defaults.uses;
      const ttlSeconds = req.ttlSeconds ?? defaults.ttlSeconds;
      if (!Number.isInteger(uses) || uses < 1) return { ok: false, error: 'bad_request', message: 'uses must be a positive integer' };
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > defaults.maxTtlSeconds) {
        return {
          ok: false,
          error: 'bad_request',
          message: `ttl must be between 1 second and ${defaults.maxTtlSeconds} seconds (approvals.max_ttl_seconds)`,
        };
      }
      const r = await store.approve(id, { actor: req.actor, uses, ttlSeconds, reason: req.reason ?? null }, new Date());
      if (r.ok) {
        metrics.event('approved');
        log.info(
          { approval_id: id, action: 'approved', actor: req.actor, uses, ttl_seconds: ttlSeconds, reason: req.reason ?? null },
          'approval approved',
        );
      }
      return r;
    },
    async reject(id, req) {
      const r = await store.reject(id, { actor: req.actor, reason: req.reason ?? null }, new Date());
      if (r.ok) {
        metrics.event('rejected');
        log.info({ approval_id: id, action: 'rejected', actor: req.actor, reason: req.reason ?? null }, 'approval rejected');
      }
      return r;
    },
    async reopen(id, req) {
      const r = await store.reopen(id, { actor: req.actor, reason: req.reason ?? null }, new Date());
      if (r.ok) {
        metrics.event('reopened');
        log.info({ approval_id: id, action: 'reopened', actor: req.actor, reason: req.reason ?? null }, 'approval reopened');
        notifier?.notify(r.approval);
      }
      return r;
    },
    prune,
    async close() {
      clearInterval(pruneTimer);
      await notifier?.close();
      await store.close();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}
