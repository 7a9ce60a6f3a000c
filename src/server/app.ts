import type { Logger } from 'pino';
import { type CachedDecision, createCheckPipeline } from '../check/pipeline.js';
import type { CheckRequestWire } from '../check/request.js';
import type { CheckResponseWire } from '../check/response.js';
import type { CheckSettings } from '../check/settings.js';
import { checkSettings } from './check-settings.js';
import { createDecisionCache, type DecisionCache } from '../cache/decision-cache.js';
import type { Config } from '../config/schema.js';
import { loadDescriptors } from '../envoy/descriptors.js';
import { envoyHttpStatusCodes } from '../envoy/http-status.js';
import { startGrpcServer, type GrpcServer } from '../envoy/server.js';
import { routeGrpcLogs } from '../envoy/grpc-logs.js';
import { connectionOptions } from '../envoy/connection-options.js';
import { adminRoutes, opsRoutes } from '../admin/routes.js';
import { startHttpServer, type HttpServer } from '../admin/http-server.js';
import { listening } from './listen-error.js';
import { createIdentityResolver } from '../identity/resolve.js';
import { createAppLogger } from '../observability/app-logger.js';
import { createCheckRecorder } from '../observability/check-observer.js';
import { approvalsStarted, logStarted } from './startup-log.js';
import { createDecisionLogger, type DecisionLogger } from '../observability/decision-log.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { logDestination } from '../observability/log-destination.js';
import { createTracing, type CheckSpan, type Tracing, tracingStatus } from '../observability/tracing.js';
import type { BundlePoller } from '../policy/bundle-poller.js';
import { startPolicyUpdates } from '../policy/policy-updates.js';
import type { Policy } from '../rego-wasm/index.js';
import { createDeadlineEvaluator } from '../rego-wasm/index.js';
import { instantiateArtifact } from '../policy/engine.js';
import { policySource } from '../policy/policy-source.js';
import { PolicyStore } from '../policy/policy-store.js';
import { PolicyReloader } from '../policy/reloader.js';
import type { Approvals } from '../approvals/approvals.js';
import { startAdminServer } from '../admin/admin-server.js';
import { type ConsoleDecision, createDecisionSampler, type DecisionSampler } from '../admin/console/decision-feed.js';
import type { ConsoleDeps } from '../admin/console/routes.js';
import { createRedactor } from '../observability/redact.js';
import { createShadow, type Shadow } from '../shadow/shadow.js';
import { shadowCandidateLoader } from './shadow-candidate.js';

export interface App {
  grpc: GrpcServer;
  http: HttpServer;
  admin: HttpServer;
  store: PolicyStore;
  reloader: PolicyReloader;
  cache?: DecisionCache<CachedDecision>;
  poller?: BundlePoller;
  metrics: Metrics;
  /** The approval loop (approvals.enabled). */
  approvals?: Approvals;
  /** The shadow candidate (docs/lifecycle.md#shadow-evaluation). */
  shadow: Shadow;
  policy(): Policy | undefined;
  /** Answer one CheckRequest exactly as the gRPC handler does (metrics, logs, traces included). */
  check(request: CheckRequestWire): Promise<CheckResponseWire>;
  settings: CheckSettings;
  logger: Logger;
  /** Drain and stop. Resolves true when all in-flight checks finished within the grace period. */
  close(): Promise<boolean>;
}

export interface AppOptions {
  logger?: Logger;
  /** Where decision logs go (default: stdout). */
  decisionLog?: DecisionLogger;
  /** OTEL_* environment for tracing (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Names the setting a config value came from (`--http-addr 127.0.0.1:8181`), for startup errors. */
  origin?: (key: string) => string;
  /**
   * A node:cluster worker (src/server/worker.ts): serve gRPC from `store`, which the cluster primary fills. No
   * policy loading, HTTP listeners, watcher, poller or SIGHUP handler here: the primary owns them.
   */
  worker?: { store: PolicyStore /** Sampled decisions for the primary's console. */; decisions?: (d: Omit<ConsoleDecision, 'seq'>) => void };
}

/** A cluster worker's app: gRPC only (the primary serves HTTP and the admin API). */
export type WorkerApp = Omit<App, 'http' | 'admin' | 'poller'>;

/**
 * The composition root: config → descriptors → policy store → cache → check pipeline → gRPC, ops HTTP and admin
 * HTTP servers. Expensive setup happens here, once; the per-check path only runs the pipeline.
 */
export async function startApp(cfg: Config, opts: AppOptions & { worker: { store: PolicyStore } }): Promise<WorkerApp>;
export async function startApp(cfg: Config, opts?: AppOptions): Promise<App>;
export async function startApp(cfg: Config, opts: AppOptions = {}): Promise<App | WorkerApp> {
  const destination = logDestination(cfg.observability.log_format);
  const logger = opts.logger ?? createAppLogger({ level: cfg.observability.log_level, ...(destination ? { destination } : {}) });
  routeGrpcLogs(logger);
  const descriptors = loadDescriptors();
  const metrics = createMetrics({ knownTools: cfg.observability.known_tools, remotePolicy: cfg.policy.bundle_url !== undefined });
  const dl = cfg.observability.decision_log;
  const decisionLog = dl.enabled
    ? (opts.decisionLog ??
      createDecisionLogger({
        redactFields: dl.redact_fields,
        allowSampleRate: dl.allow_sample_rate,
        logInput: dl.log_input,
        // The upstream-verified JWT payload header carries claims: never log it.
        ...(cfg.identity.jwt.payload_header ? { redactHeaders: [cfg.identity.jwt.payload_header] } : {}),
        ...(destination ? { destination } : {}),
      }))
    : undefined;
  // The decision log's redaction, shared by approvals (recorded arguments) and the console (inputs shown).
  const redactor = createRedactor(dl.redact_fields, { extraHeaders: cfg.identity.jwt.payload_header ? [cfg.identity.jwt.payload_header] : [] });
  // Optional subsystems are imported only when configured, so a server that does not use them never loads them.
  const approvals = cfg.approvals.enabled
    ? await (await import('../approvals/approvals.js')).createApprovals(cfg.approvals, {
        registry: metrics.registry,
        redactor,
        logger,
        ...(opts.origin ? { origin: opts.origin } : {}),
      })
    : undefined;
  const tracing: Tracing = await createTracing(opts.env ?? process.env); // the OpenTelemetry SDK is imported only when tracing is on
  const traced = tracingStatus(opts.env ?? process.env, tracing);
  logger[traced.level]({ tracing: traced.fields }, traced.msg);
  const source = policySource(cfg);
  const store = opts.worker?.store ?? new PolicyStore(cfg.policy.keep_revisions, instantiateArtifact);
  store.onChange((p) => {
    if (p) metrics.setPolicy(p.revision, p.source, p.artifact.dataJson);
  });
  // Reloads happen only after startup (files, SIGHUP, admin API); the startup load below is not one.
  const reloader = new PolicyReloader({ store, load: source.load, logger, onResult: (ok) => metrics.recordReload(ok) });

  // A local policy that cannot load at startup is a startup error (the CLI reports it). A remote one arrives later:
  // until then the server is NOT_SERVING and denies every check with policy_not_loaded.
  if (source.kind !== 'remote' && !opts.worker) store.activate(await source.load());

  const cache = cfg.cache.enabled
    ? createDecisionCache<CachedDecision>({
        maxEntries: cfg.cache.max_entries,
        maxBytes: cfg.cache.max_bytes,
        sizeOf: cachedDecisionBytes,
        ttlMs: Math.round(cfg.cache.ttl_seconds * 1000),
        nondeterministicTtlMs: Math.round(cfg.cache.nondeterministic_ttl_seconds * 1000),
        ...(cfg.cache.volatile_headers ? { volatileHeaders: cfg.cache.volatile_headers } : {}),
        ...(cfg.cache.volatile_paths ? { volatilePaths: cfg.cache.volatile_paths.map((p) => p.split('.')) } : {}),
        onEviction: () => metrics.recordCacheEviction(),
      })
    : undefined;
  if (cache)
    metrics.setCacheSizeSource(
      () => cache.size(),
      () => cache.bytes(),
    );
  // Entries are keyed by the policy object, so a reload or rollback misses by construction; clearing frees memory.
  store.onChange(() => cache?.clear());

  const settings = checkSettings(cfg, envoyHttpStatusCodes(descriptors.packageDefinition));
  const identity = createIdentityResolver(cfg.identity, { logger }); // key material (a JWKS file) is loaded here, once
  // A candidate revision evaluated after the answer, off the decision path (docs/lifecycle.md#shadow-evaluation).
  const shadow = createShadow({ config: cfg.shadow, decision: settings.decision, redactor, registry: metrics.registry });
  // The console's playground runs checks as `mcp-authz check` does: no cache, no approvals, no records.
  // A cluster worker only samples decisions for the primary's console (which runs the playground).
  let sampler: DecisionSampler | undefined;
  let consoleDeps: ConsoleDeps | undefined;
  if (cfg.console.enabled && opts.worker?.decisions) {
    sampler = createDecisionSampler({ perSecond: cfg.console.sample_per_second, redactor, sink: opts.worker.decisions });
  } else if (cfg.console.enabled) {
    ({ sampler, deps: consoleDeps } = (await import('../admin/console/console.js')).createConsole(cfg.console, {
      runOne: (request, policy) => createCheckPipeline({ settings, policy: () => policy, identity }).check(request),
      policyFor: async (rev) => (rev ? store.instance(rev) : store.current()),
      candidate: () => shadow.candidate()?.policy,
      redactor,
    }));
  }
  const recorder = createCheckRecorder(metrics, decisionLog);
  // Evaluation on this thread with its deadline kept (a slow one finishes on a thread that is stopped at it).
  const evaluator =
    cfg.policy.eval_timeout_ms > 0
      ? createDeadlineEvaluator({
          timeoutMs: cfg.policy.eval_timeout_ms,
          onRestart: (i) => {
            metrics.recordEvalRestart(i.reason);
            logger.error(
              { reason: i.reason, revision: i.revision ?? null, err: i.error, eval_timeout_ms: cfg.policy.eval_timeout_ms },
              'policy evaluation stopped',
            );
          },
        })
      : undefined;
  if (evaluator) {
    const current = store.current();
    if (current) evaluator.prepare(current);
    store.onChange((p) => p && evaluator.prepare(p));
  }
  const pipeline = createCheckPipeline<CheckSpan, Policy>({
    settings,
    policy: () => store.current(),
    identity,
    ...(evaluator ? { evaluate: (policy: Policy, input: unknown) => evaluator.evaluate(policy, input) } : {}),
    ...(cache ? { cache } : {}),
    ...(approvals ? { approve: approvals.gate } : {}),
    shadow: (outcome) => shadow.offer(outcome),
    ...(tracing.enabled ? { startSpan: (headers: Record<string, string>) => tracing.startCheck(headers) } : {}),
    record: sampler
      ? (outcome, span) => {
          recorder(outcome, span);
          sampler.offer(outcome, span?.traceId);
        }
      : recorder,
  });
  const check = async (request: CheckRequestWire): Promise<CheckResponseWire> => (await pipeline.check(request)).response;

  // A port that cannot be bound is a startup error naming its setting; what was already bound is closed first. Every
  // port is bound before any answers: the HTTP ports first (not ready until gRPC serves), then gRPC.
  const origin = opts.origin ?? ((key: string) => `${key} ${String(cfg[key as 'grpc_addr'])}`);
  let closing = false;
  let grpcBound: GrpcServer | undefined;
  let httpBound: HttpServer | undefined;
  let adminBound: HttpServer | undefined;
  try {
    if (!opts.worker) {
      httpBound = await listening(origin('http_addr'), () =>
        startHttpServer(
          cfg.http_addr,
          opsRoutes({ ready: () => !closing && grpcBound !== undefined && store.current() !== undefined, metrics: () => metrics.text() }),
        ),
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
              logger,
            },
          }),
          logger,
          ...(approvals ? { approvals } : {}),
          ...(consoleDeps ? { console: consoleDeps } : {}),
        }),
      );
    }
    grpcBound = await listening(origin('grpc_addr'), () =>
      startGrpcServer({ address: cfg.grpc_addr, descriptors, check, connection: connectionOptions(cfg.grpc) }),
    );
  } catch (err) {
    await Promise.all([httpBound?.close(), adminBound?.close(), approvals?.close(), evaluator?.close()]);
    throw err;
  }
  const grpc = grpcBound;
  grpc.setServing(store.current() !== undefined);
  store.onChange((p) => grpc.setServing(p !== undefined));

  /**
   * Stop answering checks and let go of what they use: NOT_SERVING while still answering (health checkers such as
   * Envoy stop sending before the port closes), the drain delay, the gRPC shutdown within the grace period, then the
   * policies, identity, evaluator, decision log, tracing (in parallel with what `alsoClose` starts then) and approvals.
   */
  const drainChecks = async (alsoClose: () => Promise<unknown>[] = () => []): Promise<boolean> => {
    grpc.drain();
    if (cfg.shutdown.drain_delay_seconds > 0) {
      logger.info({ drain_delay_seconds: cfg.shutdown.drain_delay_seconds, in_flight: grpc.inFlight() }, 'draining: NOT_SERVING, still answering');
      await new Promise((r) => setTimeout(r, cfg.shutdown.drain_delay_seconds * 1000));
    }
    const drained = await grpc.shutdown(cfg.shutdown.grace_seconds * 1000);
    store.clear();
    identity.close();
    await evaluator?.close();
    await decisionLog?.flush();
    await Promise.all([...alsoClose(), tracing.shutdown()]);
    await approvals?.close();
    return drained;
  };

  if (opts.worker) {
    return {
      grpc,
      store,
      reloader,
      ...(cache ? { cache } : {}),
      metrics,
      shadow,
      check,
      policy: () => store.current(),
      settings,
      logger,
      close: () => drainChecks(),
    };
  }

  // Bound above, with gRPC, in every process but a worker.
  const http = httpBound!;
  const admin = adminBound!;
  const updates = startPolicyUpdates(cfg, source, store, reloader, metrics, logger);

  logStarted(logger, cfg, store, { grpc: grpc.port, http: http.port, admin: admin.port }, { approvals: approvalsStarted(approvals) });

  return {
    grpc,
    http,
    admin,
    store,
    reloader,
    ...(cache ? { cache } : {}),
    ...(updates.poller ? { poller: updates.poller } : {}),
    metrics,
    ...(approvals ? { approvals } : {}),
    shadow,
    check,
    policy: () => store.current(),
    settings,
    logger,
    async close() {
      closing = true;
      updates.stop();
      return drainChecks(() => [http.close(), admin.close()]);
    },
  };
}

/**
 * Bytes a cache entry holds, estimated: its decision and response as JSON (UTF-16 in memory, so 2 bytes a
 * character) plus a fixed allowance for the objects around them. Computed once per stored entry (misses only).
 */
function cachedDecisionBytes(entry: CachedDecision): number {
  return 2 * (JSON.stringify(entry.decision).length + JSON.stringify(entry.response).length) + 512;
}
