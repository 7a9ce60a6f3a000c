import pino, { type Logger } from 'pino';
import type { Config } from './config/schema.js';
import { runCheck, type CheckSettings } from './authz/check.js';
import { loadDescriptors } from './grpc/descriptors.js';
import { envoyHttpStatusCodes } from './grpc/http-status.js';
import { startGrpcServer, type GrpcServer } from './grpc/server.js';
import { loadPolicyFromFiles } from './policy/load.js';
import type { Policy } from './policy/opa-wasm.js';
import { defaultBundlePath } from './package-root.js';

export interface App {
  grpc: GrpcServer;
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

/** The composition root: config → descriptors → policy → check pipeline → gRPC server. */
export async function startApp(cfg: Config, opts: AppOptions = {}): Promise<App> {
  const logger = opts.logger ?? pino({ base: { service: 'mcp-authz' } });
  const descriptors = loadDescriptors();

  const source = policySource(cfg);
  let current: Policy | undefined = await loadPolicyFromFiles({
    ...source,
    dataFiles: cfg.policy.data,
    entrypoint: cfg.policy.entrypoint,
    maxMemoryPages: cfg.policy.max_memory_pages,
  });

  const settings: CheckSettings = {
    limits: { maxBytes: cfg.body.max_bytes, maxDepth: cfg.body.max_depth, maxBatch: cfg.body.max_batch },
    malformed: cfg.body.malformed,
    decision: {
      validHttpStatus: envoyHttpStatusCodes(descriptors.packageDefinition),
      defaultDenyStatus: cfg.decision.deny_status,
      defaultApprovalStatus: cfg.decision.approval_status,
    },
    response: { managedHeaders: cfg.headers.managed },
  };

  const grpc = await startGrpcServer({
    address: cfg.grpc_addr,
    descriptors,
    check: async (request) => {
      const outcome = await runCheck(request, () => current, settings);
      return outcome.response;
    },
  });
  grpc.setServing(current !== undefined);

  logger.info(
    {
      grpc_addr: cfg.grpc_addr,
      grpc_port: grpc.port,
      policy: { revision: current.revision, source: current.source, entrypoint: current.entrypoint },
      body: cfg.body,
    },
    'mcp-authz started',
  );

  return {
    grpc,
    policy: () => current,
    settings,
    logger,
    async close() {
      const drained = await grpc.shutdown(cfg.shutdown.grace_seconds * 1000);
      current = undefined;
      return drained;
    },
  };
}
