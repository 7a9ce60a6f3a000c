import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Approvals } from '../approvals/approvals.js';
import { createCheckPipeline } from '../check/pipeline.js';
import { checkSettings } from './check-settings.js';
import type { Config } from '../config/schema.js';
import { loadDescriptors } from '../envoy/descriptors.js';
import { envoyHttpStatusCodes } from '../envoy/http-status.js';
import { createIdentityResolver } from '../identity/resolve.js';
import { createRedactor } from '../observability/redact.js';
import { instantiateArtifact } from '../policy/engine.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Policy } from '../rego-wasm/index.js';
import type { ConsoleDeps } from '../admin/console/routes.js';
import type { DecisionMessage } from './protocol.js';

const isDecision = (m: unknown): m is DecisionMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'mcp-authz:decision';

/**
 * The approvals API and the console in a cluster primary (`serve --workers N`): the primary opens the same approval
 * store as its workers (for approve, reject, list), gathers the decisions every worker samples (IPC) into one ring,
 * and runs the playground itself on its own copies of the revisions (never through the workers' two-phase change).
 */
export async function startClusterConsole(
  cfg: Config,
  deps: {
    store: PolicyStore;
    logger: Logger;
    registry: Registry;
    origin?: (key: string) => string;
    /** The shadow candidate the primary loaded (the playground can check against it). */
    candidate?: () => Policy | undefined;
  },
): Promise<{ approvals?: Approvals; console?: ConsoleDeps; close(): Promise<void> }> {
  const dl = cfg.observability.decision_log;
  const redactor = createRedactor(dl.redact_fields, { extraHeaders: cfg.identity.jwt.payload_header ? [cfg.identity.jwt.payload_header] : [] });
  // Imported only when configured (as in a single process, src/server/app.ts).
  const approvals = cfg.approvals.enabled
    ? await (await import('../approvals/approvals.js')).createApprovals(cfg.approvals, {
        registry: deps.registry,
        redactor,
        logger: deps.logger,
        ...(deps.origin ? { origin: deps.origin } : {}),
      })
    : undefined;
  let consoleDeps: ConsoleDeps | undefined;
  let identity: ReturnType<typeof createIdentityResolver> | undefined;
  let onMessage: ((worker: unknown, m: unknown) => void) | undefined;
  if (cfg.console.enabled) {
    const settings = checkSettings(cfg, envoyHttpStatusCodes(loadDescriptors().packageDefinition));
    const resolver = createIdentityResolver(cfg.identity, { logger: deps.logger });
    identity = resolver;
    const c = (await import('../admin/console/console.js')).createConsole(cfg.console, {
      runOne: (request, policy) => createCheckPipeline({ settings, policy: () => policy, identity: resolver }).check(request),
      policyFor: async (rev) => (rev ? deps.store.instance(rev, instantiateArtifact) : deps.store.current()),
      ...(deps.candidate ? { candidate: deps.candidate } : {}),
      redactor,
    });
    consoleDeps = c.deps;
    const ring = c.deps.ring;
    onMessage = (_worker, m) => {
      if (isDecision(m)) ring.add(m.decision);
    };
    cluster.on('message', onMessage);
  }
  return {
    ...(approvals ? { approvals } : {}),
    ...(consoleDeps ? { console: consoleDeps } : {}),
    async close() {
      if (onMessage) cluster.off('message', onMessage);
      identity?.close();
      await approvals?.close();
    },
  };
}
