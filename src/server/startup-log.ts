import type { Logger } from 'pino';
import type { Approvals } from '../approvals/approvals.js';
import type { Config } from '../config/schema.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { version } from '../shared/version.js';

export interface StartedPorts {
  grpc: number;
  http: number;
  admin: number;
}

/**
 * The one "mcp-authz started" line, for the single process and the cluster primary alike: version, addresses and
 * bound ports, the active policy (or that the first remote bundle is awaited), cache and body settings. `extra`
 * adds what only one of them knows (the primary's worker count).
 */
export function logStarted(logger: Logger, cfg: Config, store: PolicyStore, ports: StartedPorts, extra: Record<string, unknown> = {}): void {
  const active = store.current();
  logger.info(
    {
      version: version(),
      ...extra,
      grpc_addr: cfg.grpc_addr,
      grpc_port: ports.grpc,
      http_addr: cfg.http_addr,
      http_port: ports.http,
      admin_addr: cfg.admin_addr,
      admin_port: ports.admin,
      policy: active
        ? {
            revision: active.revision,
            source: active.source,
            entrypoint: active.entrypoint,
            mode: active.mode,
            nondeterministic: active.nondeterministic,
          }
        : { source: cfg.policy.bundle_url, entrypoint: cfg.policy.entrypoint, state: 'waiting for the first bundle' },
      cache: cfg.cache,
      body: cfg.body,
    },
    'mcp-authz started',
  );
}

/** The startup line's `approvals`: which store holds them and where (`off` when approvals.enabled is false). */
export function approvalsStarted(approvals: Approvals | undefined): { store: string; location: string } | 'off' {
  return approvals ? { store: approvals.store.kind, location: approvals.location } : 'off';
}
