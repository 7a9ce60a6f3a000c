import type { Logger } from 'pino';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import type { Policy } from '../rego-wasm/index.js';
import { revisionKey, type PolicyStore } from '../policy/policy-store.js';
import type { FromWorker, RevisionSpec } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

const PREPARE_TIMEOUT_MS = 60_000;
const COMMIT_TIMEOUT_MS = 10_000;

type Prepared = Extract<FromWorker, { type: 'mcp-authz:prepared' }>;
type Committed = Extract<FromWorker, { type: 'mcp-authz:committed' }>;
type Synced = Extract<FromWorker, { type: 'mcp-authz:synced' }>;

/**
 * One policy revision everywhere. The primary instantiates every revision itself (so a broken bundle is refused
 * once, with the same errors as a single process), then has every worker `prepare` it from the same bytes; only
 * when all workers hold it does `prepare` resolve and the caller activate it in the primary's store, which
 * commits it on every worker (store.onChange). A worker that fails to prepare fails the whole change: every worker
 * keeps the last good revision. Loads, reloads, rollbacks (the store's instantiate hook) and remote bundles all
 * pass through `prepare`.
 */
export class ClusterPolicy {
  private pool: WorkerPool | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly logger: Logger,
  ) {
    store.onChange((p) => this.commit(p));
  }

  attach(pool: WorkerPool): void {
    this.pool = pool;
  }

  /** The revision a new or restarted worker must serve. */
  active(): RevisionSpec | null {
    const p = this.store.current();
    return p ? { key: revisionKey(p), artifact: p.artifact } : null;
  }

  /** Have every worker instantiate `policy` beside the one it serves. Throws (after aborting it everywhere) if one cannot. */
  async prepare(policy: Policy): Promise<void> {
    const current = this.store.current();
    const key = revisionKey(policy);
    if (current && revisionKey(current) === key) return;
    const pool = this.pool;
    if (!pool) return;
    const workers = pool.workers();
    const results = await Promise.allSettled(
      workers.map((w) =>
        pool.request<Prepared>(
          w,
          { type: 'mcp-authz:prepare', key, artifact: policy.artifact },
          'mcp-authz:prepared',
          (r) => r.key === key,
          PREPARE_TIMEOUT_MS,
        ),
      ),
    );
    const failures = results.flatMap((r, i) => {
      if (r.status === 'rejected') return [`worker ${workers[i]!.id}: ${(r.reason as Error).message}`];
      return r.value.ok ? [] : [`worker ${workers[i]!.id}: ${r.value.error ?? 'failed'}`];
    });
    if (failures.length > 0) {
      for (const w of workers) pool.send(w, { type: 'mcp-authz:abort', key });
      throw new AuthzError(
        STARTUP_ERROR.worker_prepare_failed,
        `${policy.source}: not every worker could load revision ${policy.revision}; all keep serving ${current?.revision ?? 'nothing'}`,
        failures,
      );
    }
  }

  /** The primary's store changed (load, rollback, shutdown): commit on every worker. */
  private commit(p: Policy | undefined): void {
    const pool = this.pool;
    if (!pool) return;
    const key = p ? revisionKey(p) : null;
    for (const w of pool.workers()) {
      pool
        .request<Committed>(w, { type: 'mcp-authz:commit', key }, 'mcp-authz:committed', (r) => r.key === key, COMMIT_TIMEOUT_MS)
        .then((r) => {
          if (!r.ok) throw new Error(r.error ?? 'commit failed');
        })
        .catch((err: Error) => {
          // The worker missed the prepare (it was starting): catch it up with the active revision.
          this.logger.warn({ worker: w.id, err: err.message }, 'worker missed a policy change; re-syncing it');
          void pool
            .request<Synced>(w, { type: 'mcp-authz:sync', active: this.active() }, 'mcp-authz:synced', () => true, PREPARE_TIMEOUT_MS)
            .then((s) => {
              if (!s.ok)
                this.logger.error({ worker: w.id, err: s.error }, 'worker could not load the active policy; it keeps its last good revision');
            })
            .catch((e: Error) => this.logger.error({ worker: w.id, err: e.message }, 'worker re-sync failed'));
        });
    }
  }
}
