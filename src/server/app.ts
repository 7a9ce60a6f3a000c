import type { Logger } from 'pino';
import type { CachedDecision } from '../check/pipeline.js';
import type { CheckRequestWire } from '../check/request.js';
import type { CheckResponseWire } from '../check/response.js';
import type { CheckSettings } from '../check/settings.js';
import { checkSettings } from './check-settings.js';
import type { DecisionCache } from '../cache/decision-cache.js';
import type { Config } from '../config/schema.js';
import { loadDescriptorSet } from '../envoy/descriptor-set.js';
import type { GrpcServer } from '../envoy/server.js';
import type { HttpServer } from '../admin/http-server.js';
import { createIdentityResolver, type IdentityResolver } from '../identity/resolve.js';
import { approvalsStarted, logStarted } from './startup-log.js';
import type { DecisionLogger } from '../observability/decision-log.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { BundlePoller } from '../policy/bundle-poller.js';
import { type PolicyUpdates, startPolicyUpdates } from '../policy/policy-updates.js';
import type { DeadlineEvaluator, Policy } from '../rego-wasm/index.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { PolicyReloader } from '../policy/reloader.js';
import type { Approvals } from '../approvals/approvals.js';
import type { ConsoleDecision } from '../admin/console/decision-feed.js';
import { createShadow, type Shadow } from '../shadow/shadow.js';
import { shadowFromSpec } from './cluster-shadow.js';
import type { RevisionSpec, ShadowSpec } from './protocol.js';
import { ROLES, type Role } from './roles.js';
import type { WorkerRevisions } from './worker-revisions.js';
import { buildLogger } from './parts/logger.js';
import { buildDecisionLog } from './parts/decision-log.js';
import { buildTracing } from './parts/tracing.js';
import { buildPolicy } from './parts/policy.js';
import { buildRedactor } from './parts/redactor.js';
import { buildApprovals } from './parts/approvals.js';
import { buildConsole, type ConsoleParts } from './parts/console.js';
import { buildCache } from './parts/cache.js';
import { buildEvaluator } from './parts/evaluator.js';
import { buildChecks } from './parts/checks.js';
import { buildWorkers } from './parts/workers.js';
import { listenAdmin, listenGrpc, listenOps } from './parts/listeners.js';
import { drainChecks } from './parts/drain.js';

/** What every role's server has; the parts a role lacks are absent (src/server/roles.ts). */
export interface Server {
  role: Role;
  logger: Logger;
  metrics: Metrics;
  store: PolicyStore;
  /** The shadow candidate (docs/lifecycle.md#shadow-evaluation). */
  shadow: Shadow;
  settings: CheckSettings;
  policy(): Policy | undefined;
  /** Answers checks: the gRPC server. */
  grpc?: GrpcServer;
  /** Answer one CheckRequest exactly as the gRPC handler does (metrics, logs, traces included). */
  check?(request: CheckRequestWire): Promise<CheckResponseWire>;
  cache?: DecisionCache<CachedDecision>;
  /** Owns the policy: the ops HTTP and admin listeners, the reloader, the remote bundle poller. */
  http?: HttpServer;
  admin?: HttpServer;
  reloader?: PolicyReloader;
  poller?: BundlePoller;
  /** The approval loop (approvals.enabled). */
  approvals?: Approvals;
  /** A worker's side of the two-phase policy change. */
  revisions?: WorkerRevisions;
  /** What the "shutting down" line says of this server (checks in flight, or workers). */
  shutdownFields(): Record<string, unknown>;
  /** Drain and stop. Resolves true when all in-flight checks finished within the grace period. */
  close(): Promise<boolean>;
}

/** The single process (`--workers 1`): answers checks and owns the policy. */
export interface App extends Server {
  grpc: GrpcServer;
  http: HttpServer;
  admin: HttpServer;
  reloader: PolicyReloader;
  check(request: CheckRequestWire): Promise<CheckResponseWire>;
}

/** The cluster primary: owns the policy and the workers, answers no check. */
export interface PrimaryServer extends Server {
  http: HttpServer;
  admin: HttpServer;
  reloader: PolicyReloader;
}

/** A cluster worker: answers checks from the revisions the primary hands it. */
export interface WorkerServer extends Server {
  grpc: GrpcServer;
  revisions: WorkerRevisions;
  check(request: CheckRequestWire): Promise<CheckResponseWire>;
}

export interface AppOptions {
  logger?: Logger;
  /** Where decision logs go (default: stdout). */
  decisionLog?: DecisionLogger;
  /** OTEL_* environment for tracing (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Names the setting a config value came from (`--http-addr 127.0.0.1:8181`), for startup errors. */
  origin?: (key: string) => string;
}

export interface ServerOptions extends AppOptions {
  /** A primary: how many workers it runs. */
  workers?: number;
  /** A worker: what the primary handed it in its init message, and where its sampled decisions go (the primary's console). */
  fromPrimary?: { active: RevisionSpec | null; shadow: ShadowSpec | null; decisions(d: Omit<ConsoleDecision, 'seq'>): void };
}

/** The single process, as `serve --workers 1` starts it (and the tests and benchmarks). */
export function startApp(cfg: Config, opts: AppOptions = {}): Promise<App> {
  return startServer('single', cfg, opts);
}

/**
 * The composition root, one for every role (src/server/roles.ts): the single process, the cluster primary and a
 * worker are the same wiring with parts switched on or off, and each part is built here once, by its builder
 * (src/server/parts/). Expensive setup happens here, once; the per-check path only runs the pipeline. The phases,
 * in order:
 *
 * 1. observability: the app log, metrics; where checks are answered, the decision log and tracing;
 * 2. policy: the store, and the owner's source, reloader and startup load (a worker's: the primary's revision);
 * 3. shared parts: check settings, redactor, approvals, identity, shadow, console;
 * 4. checks: decision cache, evaluation deadline, check pipeline;
 * 5. workers (a primary);
 * 6. listen: every port is bound before any serves: ops HTTP and admin first (not ready until checks are
 *    served), then gRPC, or the workers (which bind the shared gRPC port);
 * 7. serve: policy updates (file watch, SIGHUP, bundle polling) and the startup line.
 *
 * A phase that fails ends the start in one place: what was opened is closed and the error (a startup error naming
 * its setting, for the CLI) is thrown.
 */
export function startServer(role: 'single', cfg: Config, opts?: ServerOptions): Promise<App>;
export function startServer(role: 'primary', cfg: Config, opts: ServerOptions & { workers: number }): Promise<PrimaryServer>;
export function startServer(
  role: 'worker',
  cfg: Config,
  opts: ServerOptions & { fromPrimary: NonNullable<ServerOptions['fromPrimary']> },
): Promise<WorkerServer>;
export function startServer(role: Role, cfg: Config, opts?: ServerOptions): Promise<Server>;
export async function startServer(role: Role, cfg: Config, opts: ServerOptions = {}): Promise<Server> {
  const { checks, ownsPolicy, runsWorkers } = ROLES[role];
  const env = opts.env ?? process.env;
  const origin = opts.origin ?? ((key: string) => `${key} ${String(cfg[key as 'grpc_addr'])}`);
  let closing = false;
  let identity: IdentityResolver | undefined;
  let approvals: Approvals | undefined;
  let consoleParts: ConsoleParts | undefined;
  let evaluator: DeadlineEvaluator | undefined;
  let tracing: Tracing | undefined;
  let grpc: GrpcServer | undefined;
  let http: HttpServer | undefined;
  let admin: HttpServer | undefined;
  let updates: PolicyUpdates | undefined;

  // phase 1: observability
  const { logger, destination } = buildLogger(role, cfg, opts.logger);
  const descriptors = loadDescriptorSet();
  const metrics = createMetrics({ knownTools: cfg.observability.known_tools, remotePolicy: cfg.policy.bundle_url !== undefined });
  const decisionLog = checks ? buildDecisionLog(cfg, destination, opts.decisionLog) : undefined;

  /**
   * Let go of what checks and the admin API use, once checks stopped (or the start failed): identity, evaluator,
   * decision log, then the HTTP listeners with tracing, and the approval store last.
   */
  const release = async (): Promise<void> => {
    consoleParts?.close();
    identity?.close();
    await evaluator?.close();
    await decisionLog?.flush();
    await Promise.all([http?.close(), admin?.close(), tracing?.shutdown()]);
    await approvals?.close();
  };

  try {
    if (checks) tracing = await buildTracing(env, logger);

    // phase 2: policy
    const policy = await buildPolicy(role, cfg, { logger, metrics, ...(opts.fromPrimary ? { fromPrimary: opts.fromPrimary.active } : {}) });
    const { store } = policy;

    // phase 3: shared parts
    const settings = checkSettings(cfg, descriptors.httpStatusCodes);
    const redactor = buildRedactor(cfg);
    approvals = await buildApprovals(cfg, { registry: metrics.registry, redactor, logger, origin });
    // Key material (a JWKS file) is loaded here, once: for the checks, or for the console's playground.
    if (checks || (ownsPolicy && cfg.console.enabled)) identity = createIdentityResolver(cfg.identity, { logger });
    // A candidate revision evaluated after the answer, off the decision path; a primary only records which one.
    const shadow = createShadow({ config: cfg.shadow, decision: settings.decision, redactor, registry: metrics.registry });
    if (opts.fromPrimary) await shadowFromSpec(shadow, opts.fromPrimary.shadow);
    consoleParts = await buildConsole(role, cfg, {
      settings,
      ...(identity ? { identity } : {}),
      store,
      shadow,
      redactor,
      ...(opts.fromPrimary ? { toPrimary: opts.fromPrimary.decisions } : {}),
    });

    // phase 4: checks
    const cache = checks ? buildCache(cfg, { metrics, store }) : undefined;
    if (checks) evaluator = buildEvaluator(cfg, { metrics, logger, store });
    const check =
      checks && tracing && identity
        ? buildChecks({
            settings,
            store,
            identity,
            metrics,
            tracing,
            shadow,
            ...(decisionLog ? { decisionLog } : {}),
            ...(evaluator ? { evaluator } : {}),
            ...(cache ? { cache } : {}),
            ...(approvals ? { approvals } : {}),
            ...(consoleParts.sampler ? { sampler: consoleParts.sampler } : {}),
            // Logged inputs (which `policy replay` evaluates again) keep the facts (docs/input.md); the console's
            // sampler adds them to the few inputs it copies (completeFacts).
            factsAlways: decisionLog !== undefined && cfg.observability.decision_log.log_input,
          })
        : undefined;

    // phase 5: workers
    const w = runsWorkers
      ? buildWorkers(cfg, { size: opts.workers!, logger, metrics, cluster: policy.cluster!, shadow, origin, ...(approvals ? { approvals } : {}) })
      : undefined;

    // phase 6: listen
    const serving = (): boolean => (w ? w.allReady() : grpc !== undefined);
    if (ownsPolicy) {
      http = await listenOps(cfg, origin, {
        ready: () => !closing && store.current() !== undefined && serving(),
        metrics: w ? () => w.metrics.text() : () => metrics.text(),
      });
      admin = await listenAdmin(cfg, origin, {
        store,
        reloader: policy.reloader!,
        shadow,
        ...(w ? { shadowCluster: { onCandidate: (c) => w.shadow.onCandidate(c), report: (limit) => w.shadow.report(limit) } } : {}),
        logger,
        ...(approvals ? { approvals } : {}),
        ...(consoleParts.deps ? { console: consoleParts.deps } : {}),
      });
    }
    if (check) {
      const g = await listenGrpc(cfg, origin, { descriptors, check });
      grpc = g;
      g.setServing(store.current() !== undefined);
      store.onChange((p) => g.setServing(p !== undefined));
    }
    await w?.start();

    // phase 7: serve
    if (ownsPolicy) {
      updates = startPolicyUpdates(cfg, policy.source!, store, policy.reloader!, metrics, logger, policy.prepare);
      logStarted(
        logger,
        cfg,
        store,
        { grpc: w ? w.port() : grpc!.port, http: http!.port, admin: admin!.port },
        { ...(w ? { workers: w.size() } : {}), approvals: approvalsStarted(approvals) },
      );
    }

    // The checks stop first (a primary's workers each drain), then the parts they use.
    const drain = (): Promise<boolean> => (w ? w.stop() : grpc ? drainChecks(grpc, cfg.shutdown, logger) : Promise.resolve(true));

    return {
      role,
      logger,
      metrics,
      store,
      shadow,
      settings,
      policy: () => store.current(),
      ...(grpc ? { grpc } : {}),
      ...(check ? { check: async (request: CheckRequestWire) => check(request) } : {}),
      ...(cache ? { cache } : {}),
      ...(http ? { http } : {}),
      ...(admin ? { admin } : {}),
      ...(policy.reloader ? { reloader: policy.reloader } : {}),
      ...(updates?.poller ? { poller: updates.poller } : {}),
      ...(approvals ? { approvals } : {}),
      ...(policy.revisions ? { revisions: policy.revisions } : {}),
      shutdownFields: () => (w ? { workers: w.size() } : { in_flight: grpc?.inFlight() ?? 0 }),
      async close() {
        closing = true;
        updates?.stop();
        const drained = await drain();
        store.clear();
        await release();
        return drained;
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
