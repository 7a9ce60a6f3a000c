import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import { instantiateArtifact } from '../../policy/engine.js';
import { policySource, type PolicySource } from '../../policy/policy-source.js';
import { PolicyStore } from '../../policy/policy-store.js';
import { PolicyReloader } from '../../policy/reloader.js';
import type { Policy } from '../../rego-wasm/index.js';
import { ClusterPolicy } from '../cluster-policy.js';
import type { RevisionSpec } from '../protocol.js';
import { ROLES, type Role } from '../roles.js';
import { WorkerRevisions } from '../worker-revisions.js';

export interface PolicyParts {
  store: PolicyStore;
  /** The policy's owner (single, primary): where it comes from and how it reloads. */
  source?: PolicySource;
  reloader?: PolicyReloader;
  /** A primary's first phase of every change: every worker instantiates the revision (src/server/cluster-policy.ts). */
  prepare?: (policy: Policy) => Promise<void>;
  cluster?: ClusterPolicy;
  /** A worker's side of the two phases (src/server/worker-revisions.ts). */
  revisions?: WorkerRevisions;
}

/**
 * The policy store of every role. Its owner (single, primary) builds the source and the reloader and loads the
 * policy at startup: a local policy that cannot load is a startup error (the CLI reports it); a remote one arrives
 * later, and until then the server is NOT_SERVING and denies every check with policy_not_loaded. A primary puts
 * every change through its workers first (prepare, then commit on store change). A worker serves the revision the
 * primary handed it (`fromPrimary`), and only that one: the primary keeps the history for rollback.
 */
export async function buildPolicy(
  role: Role,
  cfg: Config,
  deps: { logger: Logger; metrics: Metrics; fromPrimary?: RevisionSpec | null },
): Promise<PolicyParts> {
  const { logger, metrics } = deps;
  const { ownsPolicy, runsWorkers } = ROLES[role];
  const onChange = (p: Policy | undefined): void => {
    if (p) metrics.setPolicy(p.revision, p.source, p.artifact.dataJson);
  };
  if (!ownsPolicy) {
    const store = new PolicyStore(1);
    store.onChange(onChange);
    const revisions = new WorkerRevisions(store);
    await revisions.sync(deps.fromPrimary ?? null);
    return { store, revisions };
  }
  let cluster: ClusterPolicy | undefined;
  const prepare = runsWorkers ? (p: Policy): Promise<void> => cluster!.prepare(p) : undefined;
  // A rollback instantiates a kept revision here (and, in a primary, on every worker) before the store commits it.
  const instantiate = prepare
    ? async (artifact: Policy['artifact']): Promise<Policy> => {
        const p = await instantiateArtifact(artifact);
        await prepare(p);
        return p;
      }
    : instantiateArtifact;
  const store = new PolicyStore(cfg.policy.keep_revisions, instantiate);
  store.onChange(onChange);
  if (runsWorkers) cluster = new ClusterPolicy(store, logger);
  const source = policySource(cfg);
  const load = prepare
    ? async (): Promise<Policy> => {
        const p = await source.load();
        await prepare(p);
        return p;
      }
    : source.load;
  // Reloads happen only after startup (files, SIGHUP, admin API); the startup load below is not one.
  const reloader = new PolicyReloader({ store, load, logger, onResult: (ok) => metrics.recordReload(ok), ...(prepare ? { prepare } : {}) });
  // Loaded (and refused) once, here, before any worker exists.
  if (source.kind !== 'remote') store.activate(await source.load());
  return { store, source, reloader, ...(prepare ? { prepare } : {}), ...(cluster ? { cluster } : {}) };
}
