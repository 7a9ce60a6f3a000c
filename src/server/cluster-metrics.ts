import { AggregatorRegistry, Counter, Gauge, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { FromWorker } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

/** Metrics about the policy lifecycle: in a cluster the primary owns the policy, so only its series count. */
const PRIMARY_OWNED = new Set([
  'mcp_authz_policy_info',
  'mcp_authz_policy_reloads_total',
  'mcp_authz_policy_last_success_timestamp_seconds',
  'mcp_authz_policy_seconds_since_last_success',
]);
const SCRAPE_TIMEOUT_MS = 5_000;

type MetricsReply = Extract<FromWorker, { type: 'mcp-authz:metrics' }>;
type MetricJson = MetricObjectWithValues<MetricValue<string>>;

export interface ClusterMetrics {
  recordRestart(): void;
  /** All workers' registries plus the primary's, aggregated by prom-client's AggregatorRegistry (counters summed). */
  text(): Promise<{ contentType: string; body: string }>;
}

/**
 * `/metrics` of a cluster: the primary asks every worker for its registry as JSON (over the cluster IPC channel)
 * and aggregates them with its own using prom-client's AggregatorRegistry.aggregate: counters and histograms are
 * summed, so the series read as one server. prom-client's clusterMetrics() is not used because it cannot include
 * the primary's own registry (policy lifecycle, worker restarts). A worker that does not answer in time is left out
 * of that scrape (and logged).
 */
export function createClusterMetrics(primary: Metrics, pool: WorkerPool, logger: Logger): ClusterMetrics {
  const restarts = new Counter({
    name: 'mcp_authz_worker_restarts_total',
    help: 'Worker processes that died and were restarted.',
    registers: [primary.registry],
  });
  new Gauge({
    name: 'mcp_authz_workers',
    help: 'Worker processes serving gRPC, by state: desired (--workers) and ready.',
    labelNames: ['state'] as const,
    registers: [primary.registry],
    collect() {
      this.set({ state: 'desired' }, pool.size());
      this.set({ state: 'ready' }, pool.readyCount());
    },
  });
  return {
    recordRestart: () => restarts.inc(),
    async text() {
      const workers = pool.workers();
      const replies = await Promise.allSettled(
        workers.map((w) => {
          const id = pool.requestId();
          return pool.request<MetricsReply>(w, { type: 'mcp-authz:metrics', id }, 'mcp-authz:metrics', (r) => r.id === id, SCRAPE_TIMEOUT_MS);
        }),
      );
      const sets: MetricJson[][] = [(await primary.registry.getMetricsAsJSON()) as MetricJson[]];
      replies.forEach((r, i) => {
        if (r.status === 'fulfilled') sets.push((r.value.metrics as MetricJson[]).filter((m) => !PRIMARY_OWNED.has(m.name)));
        else logger.warn({ worker: workers[i]!.id, err: (r.reason as Error).message }, 'worker left out of this metrics scrape');
      });
      const registry = AggregatorRegistry.aggregate(sets);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
