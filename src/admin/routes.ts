import type { PolicyReloader } from '../policy/reloader.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { json, type Routes } from './http-server.js';
import { type ShadowDeps, shadowRoutes } from './shadow-routes.js';

export interface OpsDeps {
  /** Ready: a policy is loaded, the gRPC port is bound and the server is not shutting down. */
  ready: () => boolean;
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** Liveness, readiness and Prometheus metrics (the http_addr listener). */
export function opsRoutes(deps: OpsDeps): Routes {
  const routes: Routes = {
    'GET /healthz': () => json(200, { status: 'ok' }),
    'GET /readyz': () => (deps.ready() ? json(200, { status: 'ready' }) : json(503, { status: 'not_ready' })),
  };
  if (deps.metrics) {
    const metrics = deps.metrics;
    routes['GET /metrics'] = async () => {
      const m = await metrics();
      return { status: 200, body: m.body, contentType: m.contentType };
    };
  }
  return routes;
}

export interface AdminDeps {
  store: PolicyStore;
  reloader: PolicyReloader;
  /** The shadow candidate's routes (/v1/policies/shadow…). */
  shadow?: Omit<ShadowDeps, 'store' | 'reloader'>;
}

/** The policy admin API (the admin_addr listener, localhost by default). */
export function adminRoutes(deps: AdminDeps): Routes {
  return {
    ...(deps.shadow ? shadowRoutes({ ...deps.shadow, store: deps.store, reloader: deps.reloader }) : {}),
    'GET /v1/policies': () => json(200, { revisions: deps.store.list(), last_failure: deps.reloader.lastFailure() ?? null }),
    'POST /v1/policies/reload': async () => {
      const ok = await deps.reloader.reload('admin API');
      const failure = ok ? undefined : deps.reloader.lastFailure();
      return json(ok ? 200 : 500, {
        reloaded: ok,
        active: deps.store.current()?.revision ?? null,
        ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
      });
    },
    'POST /v1/policies/rollback': async (body) => {
      const revision = (body as { revision?: unknown } | undefined)?.revision;
      if (typeof revision !== 'string' || !revision)
        return json(400, { error: 'bad_request', message: 'body must be {"revision": "<revision or sha256 prefix>"}' });
      const p = await deps.reloader.rollback(revision);
      if (!p) return json(404, { error: 'revision_not_found', revisions: deps.store.list().map((r) => r.revision) });
      return json(200, { active: p.revision, sha256: p.sha256 });
    },
  };
}
