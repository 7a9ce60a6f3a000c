import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Approvals } from '../../approvals/approvals.js';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Shadow } from '../../shadow/shadow.js';
import { AuthzError, STARTUP_ERROR } from '../../shared/errors.js';
import { type ClusterMetrics, createClusterMetrics } from '../cluster-metrics.js';
import type { ClusterPolicy } from '../cluster-policy.js';
import { clusterShadow } from '../cluster-shadow.js';
import { WorkerPool, WorkerStartError } from '../worker-pool.js';

export interface Workers {
  /** All workers' metrics aggregated with the primary's (/metrics). */
  metrics: ClusterMetrics;
  /** How the workers take the shadow candidate and combine their reports (the admin API's shadow routes). */
  shadow: ReturnType<typeof clusterShadow>;
  size(): number;
  /** The shared gRPC port, once started. */
  port(): number;
  allReady(): boolean;
  /** Fork every worker and wait until all serve; a worker's own startup error is the server's, as with one process. */
  start(): Promise<void>;
  /** Drain every worker (each within `shutdown.drain_delay_seconds` and `grace_seconds`, src/server/parts/drain.ts); true if all drained. */
  stop(): Promise<boolean>;
}

/**
 * A primary's workers (`--workers N`): each is started (and restarted) with the config, the active revision and
 * the shadow candidate (src/server/worker.ts); every policy change reaches them through `cluster` (two phases).
 */
export function buildWorkers(
  cfg: Config,
  deps: {
    size: number;
    logger: Logger;
    metrics: Metrics;
    cluster: ClusterPolicy;
    shadow: Shadow;
    approvals?: Approvals;
    origin: (key: string) => string;
  },
): Workers {
  const { logger, cluster } = deps;
  const shadows = clusterShadow(deps.shadow, () => pool, logger, cfg.shadow.max_differences);
  // The workers open the approval file the primary opened (its private default directory, when the path is unset).
  const location = deps.approvals?.store.kind === 'sqlite' ? deps.approvals.location : undefined;
  const workerCfg: Config = location ? { ...cfg, approvals: { ...cfg.approvals, sqlite: { ...cfg.approvals.sqlite, path: location } } } : cfg;
  const pool: WorkerPool = new WorkerPool({
    size: deps.size,
    exec: fileURLToPath(new URL('../worker-main.js', import.meta.url)),
    logger,
    initMessage: () => ({
      type: 'mcp-authz:init',
      config: workerCfg,
      origins: { grpc_addr: deps.origin('grpc_addr') },
      active: cluster.active(),
      shadow: shadows.spec(),
    }),
    onUnexpectedExit: (w) => {
      metrics.recordRestart();
      logger.error({ worker: w.id, pid: w.pid, code: w.code, signal: w.signal }, 'worker died; restarting it');
    },
  });
  cluster.attach(pool);
  const metrics = createClusterMetrics(deps.metrics, pool, logger);
  return {
    metrics,
    shadow: shadows,
    size: () => pool.size(),
    port: () => pool.port(),
    allReady: () => pool.readyCount() === pool.size(),
    async start() {
      try {
        await pool.start();
      } catch (err) {
        await pool.stop(0);
        if (err instanceof WorkerStartError)
          throw err.fromAuthzError
            ? new AuthzError(err.code, err.message, err.details)
            : new AuthzError(STARTUP_ERROR.worker_start_failed, `a worker could not start: ${err.message}`, err.details);
        throw err;
      }
    },
    stop: () => pool.stop((cfg.shutdown.drain_delay_seconds + cfg.shutdown.grace_seconds) * 1000),
  };
}
