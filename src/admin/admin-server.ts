import type { Logger } from 'pino';
import { approvalRoutes } from './approval-routes.js';
import type { Approvals } from '../approvals/approvals.js';
import type { AdminAuthConfig } from './admin-auth-config.js';
import { type HttpServer, type Routes, splitHostPort, startHttpServer } from './http-server.js';
import { createAdminGuard, isLoopbackHost } from './admin-guard.js';
import { type ConsoleDeps, consoleRoutes } from './console/routes.js';

export interface AdminServerOptions {
  address: string;
  auth: AdminAuthConfig;
  /** The policy admin routes (/v1/policies…). */
  policyRoutes: Routes;
  approvals?: Approvals;
  console?: ConsoleDeps;
  logger: Logger;
}

/**
 * The admin listener: policy admin API, approvals API and the console, behind one guard (DNS-rebinding check on a
 * loopback bind, optional bearer or basic authentication, CSRF checks on state-changing requests).
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<HttpServer> {
  const loopback = isLoopbackHost(splitHostPort(opts.address).host);
  const authenticated = Boolean(opts.auth.bearer_token || opts.auth.bearer_token_file || opts.auth.basic_username);
  if (!loopback && !authenticated) {
    opts.logger.warn(
      { admin_addr: opts.address },
      'the admin address is not loopback and has no authentication (admin_auth): anyone who reaches it can approve calls and change the policy',
    );
  }
  const routes: Routes = {
    ...opts.policyRoutes,
    ...(opts.approvals ? approvalRoutes(opts.approvals) : {}),
    ...(opts.console ? consoleRoutes(opts.console) : {}),
  };
  return startHttpServer(opts.address, routes, { guard: createAdminGuard({ auth: opts.auth, loopback, publicPrefixes: ['/console'] }) });
}
