import type { Logger } from 'pino';
import type { Approvals } from '../../approvals/approvals.js';
import type { Config } from '../../config/schema.js';
import { startAdminServer } from '../../admin/admin-server.js';
import type { ConsoleDeps } from '../../admin/console/routes.js';
import { startHttpServer, type HttpServer } from '../../admin/http-server.js';
import { adminRoutes, type OpsDeps, opsRoutes } from '../../admin/routes.js';
import type { ShadowDeps } from '../../admin/shadow-routes.js';
import type { CheckHandler } from '../../envoy/authorization.js';
import { connectionOptions } from '../../envoy/connection-options.js';
import type { DescriptorSet } from '../../envoy/descriptor-set.js';
import { startGrpcServer, type GrpcServer } from '../../envoy/server.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import type { PolicyReloader } from '../../policy/reloader.js';
import type { Shadow } from '../../shadow/shadow.js';
import { listening } from '../listen-error.js';
import { shadowCandidateLoader } from '../shadow-candidate.js';

/**
 * The listeners. A port that cannot be bound is a startup error naming its setting (`origin`, e.g.
 * `--http-addr 127.0.0.1:8181`, src/server/listen-error.ts).
 */
type Origin = (key: string) => string;

/** The ops HTTP listener (`http_addr`): /healthz, /readyz, /metrics. */
export function listenOps(cfg: Config, origin: Origin, deps: OpsDeps): Promise<HttpServer> {
  return listening(origin('http_addr'), () => startHttpServer(cfg.http_addr, opsRoutes(deps)));
}

/**
 * The admin listener (`admin_addr`): the policy admin API with the shadow candidate's routes (a primary adds how
 * its workers take the candidate and combine their reports), the approvals API and the console.
 */
export function listenAdmin(
  cfg: Config,
  origin: Origin,
  deps: {
    store: PolicyStore;
    reloader: PolicyReloader;
    shadow: Shadow;
    shadowCluster?: Pick<ShadowDeps, 'onCandidate' | 'report'>;
    logger: Logger;
    approvals?: Approvals;
    console?: ConsoleDeps;
  },
): Promise<HttpServer> {
  const { store, logger } = deps;
  const load = shadowCandidateLoader(cfg, store);
  return listening(origin('admin_addr'), () =>
    startAdminServer({
      address: cfg.admin_addr,
      auth: cfg.admin_auth,
      policyRoutes: adminRoutes({ store, reloader: deps.reloader, shadow: { shadow: deps.shadow, load, ...deps.shadowCluster, logger } }),
      logger,
      ...(deps.approvals ? { approvals: deps.approvals } : {}),
      ...(deps.console ? { console: deps.console } : {}),
    }),
  );
}

/** The gRPC listener (`grpc_addr`, shared by a cluster's workers): Check, health, reflection. */
export function listenGrpc(cfg: Config, origin: Origin, deps: { descriptors: DescriptorSet; check: CheckHandler }): Promise<GrpcServer> {
  return listening(origin('grpc_addr'), () =>
    startGrpcServer({ address: cfg.grpc_addr, descriptors: deps.descriptors, check: deps.check, connection: connectionOptions(cfg.grpc) }),
  );
}
