import { approvalsStarted, logStarted } from './startup-log.js';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Policy } from '../rego-wasm/index.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { startAdminServer } from '../admin/admin-server.js';
import { startClusterConsole } from './cluster-console.js';
import { adminRoutes, opsRoutes } from '../admin/routes.js';
import { startHttpServer, type HttpServer } from '../admin/http-server.js';
import { listening } from './listen-error.js';
import { createAppLogger } from '../observability/app-logger.js';
import { logDestination } from '../observability/log-destination.js';
import { createMetrics } from '../observability/metrics.js';
import { policySource } from '../policy/policy-source.js';
import { instantiateArtifact } from '../policy/engine.js';
import { PolicyStore } from '../policy/policy-store.js';
import { PolicyReloader } from '../policy/reloader.js';
import { ClusterPolicy } from './cluster-policy.js';
import { startPolicyUpdates } from '../policy/policy-updates.js';
import { createClusterMetrics } from './cluster-metrics.js';
import { WorkerPool, WorkerStartError } from './worker-pool.js';
import { clusterShadow } from './cluster-shadow.js';
import { createShadow } from '../shadow/shadow.js';
import { shadowCandidateLoader } from './shadow-candidate.js';
import { createRedactor } from '../observability/redact.js';
import { checkSettings } from './check-settings.js';
import { loadDescriptors } from '../envoy/descriptors.js';
import { envoyHttpStatusCodes } from '../envoy/http-status.js';

export interface Primary {
  grpcPort: number;
  http: HttpServer;
  admin: HttpServer;
  store: PolicyStore;
  logger: Logger;
  /** Stop polling and reloads, drain every worker (each within the grace period), close HTTP. True if all drained. */
  close(): Promise<boolean>;
}

/**
 * The composition root of `serve --workers N` (N > 1), in the cluster primary: config → policy source → store and
 * reloader (two-phase across workers, src/server/cluster-policy.ts) → N workers (each serves gRPC on the shared
 * port, src/server/worker.ts) → ops HTTP (readiness of all workers, aggregated /metrics) and the admin API →
 * remote polling, file watching and SIGHUP. The primary answers no checks itself.
 */
export async function startPrimary(cfg: Config, opts: { workers: number; logger?: Logger; origin?: (key: string) => string }): Promise<Primary> {
  const destination = logDestination(cfg.observability.log_format);
  const logger = opts.logger ?? createAppLogger({ level: cfg.observability.log_level, ...(destination ? { destination } : {}) });
  const metrics = createMetrics({ knownTools: cfg.observability.known_tools, remotePolicy: cfg.policy.bundle_url !== undefined });
  const source = policySource(cfg);
  // A rollback instantiates a kept revision here, then on every worker, before the store commits it.
  const store = new PolicyStore(cfg.policy.keep_revisions, async (artifact) => {
    const p = await instantiateArtifact(artifact);
    await policy.prepare(p);
    return p;
  });
  store.onChange((p) => {
    if (p) metrics.setPolicy(p.revision, p.source, p.artifact.dataJson);
  });
  const policy = new ClusterPolicy(store, logger);
  const load = async (): Promise<Policy> => {
    const p = await source.load();
    await policy.prepare(p);
    return p;
  };
  const reloader = new PolicyReloader({ store, load, logger, onResult: (ok) => metrics.recordReload(ok), prepare: (p) => policy.prepare(p) });
  // The shadow candidate: loaded here, shadowed by every worker, their reports combined (docs/lifecycle.md#shadow-evaluation).
  const shadow = createShadow({
    config: cfg.shadow,
    decision: checkSettings(cfg, envoyHttpStatusCodes(loadDescriptors().packageDefinition)).decision,
    redactor: createRedactor(cfg.observability.decision_log.redact_fields),
    registry: metrics.registry,
  });
  const shadows = clusterShadow(shadow, () => pool, logger, cfg.shadow.max_differences);

  // Loaded (and refused) once, here, before any worker exists; a remote bundle arrives later.
  if (source.kind !== 'remote') store.activate(await source.load());
  const origin = opts.origin ?? ((key: string) => `${key} ${String(cfg[key as 'grpc_addr'])}`);

  // The approvals API and the console: the same approval store as the workers (opened here first, so a store that
  // cannot be opened stops the start before any worker exists), decisions gathered from them.
  const adminConsole = await startClusterConsole(cfg, {
    store,
    logger,
    registry: metrics.registry,
    origin,
    candidate: () => shadow.candidate()?.policy,
  });
  // The workers open the file the primary opened (its private default directory, when the path is unset).
  const location = adminConsole.approvals?.store.kind === 'sqlite' ? adminConsole.approvals.location : undefined;
  const workerCfg: Config = location ? { ...cfg, approvals: { ...cfg.approvals, sqlite: { ...cfg.approvals.sqlite, path: location } } } : cfg;

  const pool = new WorkerPool({
    size: opts.workers,
    exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)),
    logger,
    initMessage: () => ({
      type: 'mcp-authz:init',
      config: workerCfg,
      origins: { grpc_addr: origin('grpc_addr') },
      active: policy.active(),
      shadow: shadows.spec(),
    }),
    onUnexpectedExit: (w) => {
      clusterMetrics.recordRestart();
      logger.error({ worker: w.id, pid: w.pid, code: w.code, signal: w.signal }, 'worker died; restarting it');
    },
  });
  policy.attach(pool);
  const clusterMetrics = createClusterMetrics(metrics, pool, logger);
  let closing = false;
  const ready = (): boolean => !closing && store.current() !== undefined && pool.readyCount() === pool.size();
  // Every port is bound before any serves: the HTTP ports here first (not ready until every worker is), then the
  // workers' gRPC port. A port that cannot be bound stops the start with nothing answering meanwhile.
  let httpBound: HttpServer | undefined;
  let adminBound: HttpServer | undefined;
  try {
    httpBound = await listening(origin('http_addr'), () =>
      startHttpServer(cfg.http_addr, opsRoutes({ ready, metrics: () => clusterMetrics.text() })),
    );
    adminBound = await listening(origin('admin_addr'), () =>
      startAdminServer({
        address: cfg.admin_addr,
        auth: cfg.admin_auth,
        policyRoutes: adminRoutes({
          store,
          reloader,
          shadow: {
            shadow,
            load: shadowCandidateLoader(cfg, store),
            onCandidate: (c) => shadows.onCandidate(c),
            report: () => shadows.report(),
            logger,
          },
        }),
        logger,
        ...adminConsole,
      }),
    );
    await pool.start();
  } catch (err) {
    await Promise.all([pool.stop(0), httpBound?.close(), adminBound?.close(), adminConsole.close()]);
    // A worker's own startup error (e.g. address_in_use naming the flag) is the server's, as with one process.
    if (err instanceof WorkerStartError)
      throw err.fromAuthzError
        ? new AuthzError(err.code, err.message, err.details)
        : new AuthzError(STARTUP_ERROR.worker_start_failed, `a worker could not start: ${err.message}`, err.details);
    throw err;
  }

  const http = httpBound;
  const admin = adminBound;
  const updates = startPolicyUpdates(cfg, source, store, reloader, metrics, logger, (p) => policy.prepare(p));

  logStarted(
    logger,
    cfg,
    store,
    { grpc: pool.port(), http: http.port, admin: admin.port },
    {
      workers: opts.workers,
      approvals: approvalsStarted(adminConsole.approvals),
    },
  );

  return {
    grpcPort: pool.port(),
    http,
    admin,
    store,
    logger,
    async close() {
      closing = true;
      updates.stop();
      const drained = await pool.stop((cfg.shutdown.drain_delay_seconds + cfg.shutdown.grace_seconds) * 1000);
      store.clear();
      await Promise.all([http.close(), admin.close(), adminConsole.close()]);
      return drained;
    },
  };
}
