import pino, { type Logger } from 'pino';
import { runCheck, type CheckHooks, type CheckSettings } from './authz/check.js';
import type { Config } from './config/schema.js';
import { loadDescriptors } from './grpc/descriptors.js';
import { startGrpcServer, type GrpcServer } from './grpc/server.js';
import { adminRoutes, opsRoutes } from './http/routes.js';
import { startHttpServer, type HttpServer } from './http/http-server.js';
import { defaultBundlePath } from './package-root.js';
import { checkSettings, enrichHooks } from './pipeline.js';
import { loadPolicyFromFiles } from './policy/load.js';
import type { Policy } from './policy/opa-wasm.js';
import { PolicyStore } from './policy/policy-store.js';
import { PolicyReloader } from './policy/reloader.js';

export interface App {
  grpc: GrpcServer;
  http: HttpServer;
  admin: HttpServer;
  store: PolicyStore;
  reloader: PolicyReloader;
  policy(): Policy | undefined;
  settings: CheckSettings;
  logger: Logger;
  /** Drain and stop. Resolves true when all in-flight checks finished within the grace period. */
  close(): Promise<boolean>;
}

export interface AppOptions {
  logger?: Logger;
}

/** Resolve the policy source: the configured one, else the embedded default bundle. */
export function policySource(cfg: Config): { bundle?: string; policyDir?: string } {
  if (cfg.policy.dir) return { policyDir: cfg.policy.dir };
  return { bundle: cfg.policy.bundle ?? defaultBundlePath() };
}

/**
 * The composition root: config → descriptors → policy store → check pipeline → gRPC, ops HTTP and admin HTTP
 * servers. Expensive setup happens here, once; the per-check path only runs the pipeline.
 */
export async function startApp(cfg: Config, opts: AppOptions = {}): Promise<App> {
  const logger = opts.logger ?? pino({ base: { service: 'mcp-authz' } });
  const descriptors = loadDescriptors();
  const source = policySource(cfg);
  const store = new PolicyStore(cfg.policy.keep_revisions);
  const load = () =>
    loadPolicyFromFiles({ ...source, dataFiles: cfg.policy.data, entrypoint: cfg.policy.entrypoint, maxMemoryPages: cfg.policy.max_memory_pages });
  const reloader = new PolicyReloader({ store, load, logger });

  // A local policy that cannot load at startup is a startup error (every problem is reported by the CLI).
  store.activate(await load());

  const settings = checkSettings(cfg, descriptors);
  const hooks: CheckHooks = enrichHooks(cfg);

  const grpc = await startGrpcServer({
    address: cfg.grpc_addr,
    descriptors,
    check: async (request) => (await runCheck(request, () => store.current(), settings, hooks)).response,
  });
  grpc.setServing(store.current() !== undefined);
  store.onChange((p) => grpc.setServing(p !== undefined));

  let closing = false;
  const http = await startHttpServer(cfg.http_addr, opsRoutes({ ready: () => !closing && store.current() !== undefined }));
  const admin = await startHttpServer(cfg.admin_addr, adminRoutes({ store, reloader }));

  const onHup = (): void => void reloader.reload('SIGHUP');
  process.on('SIGHUP', onHup);
  if (cfg.policy.watch) reloader.watch([...(source.bundle ? [source.bundle] : []), ...(source.policyDir ? [source.policyDir] : []), ...cfg.policy.data]);

  const active = store.current()!;
  logger.info(
    {
      version: process.env.npm_package_version ?? '0.1.0',
      grpc_addr: cfg.grpc_addr,
      grpc_port: grpc.port,
      http_addr: cfg.http_addr,
      http_port: http.port,
      admin_addr: cfg.admin_addr,
      admin_port: admin.port,
      policy: { revision: active.revision, source: active.source, entrypoint: active.entrypoint, nondeterministic: active.nondeterministic },
      body: cfg.body,
    },
    'mcp-authz started',
  );

  return {
    grpc,
    http,
    admin,
    store,
    reloader,
    policy: () => store.current(),
    settings,
    logger,
    async close() {
      closing = true;
      process.off('SIGHUP', onHup);
      reloader.close();
      const drained = await grpc.shutdown(cfg.shutdown.grace_seconds * 1000);
      store.clear();
      await Promise.all([http.close(), admin.close()]);
      return drained;
    },
  };
}
