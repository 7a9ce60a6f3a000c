import cluster from 'node:cluster';
import { type CheckOutcome, completeFacts, createCheckPipeline } from '../../check/pipeline.js';
import type { CheckSettings } from '../../check/settings.js';
import type { Config } from '../../config/schema.js';
import type { IdentityResolver } from '../../identity/resolve.js';
import type { Redactor } from '../../observability/redact.js';
import { instantiateArtifact } from '../../policy/engine.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import type { Shadow } from '../../shadow/shadow.js';
import { type ConsoleDecision, createDecisionSampler, type DecisionSampler } from '../../admin/console/decision-feed.js';
import type { ConsoleDeps } from '../../admin/console/routes.js';
import type { DecisionMessage } from '../protocol.js';
import { ROLES, type Role } from '../roles.js';

export interface ConsoleParts {
  /** Samples this process's decisions (a role that answers checks). */
  sampler?: DecisionSampler<CheckOutcome>;
  /** The console's routes (the role that serves the admin API). */
  deps?: ConsoleDeps;
  close(): void;
}

const isDecision = (m: unknown): m is DecisionMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'mcp-authz:decision';

/**
 * The console (`console.enabled`). The process that serves the admin API (single, primary) holds the ring of
 * recent decisions and runs the playground, as `mcp-authz check` runs checks (no cache, no approvals, no records),
 * on its own copies of the revisions (in a primary never through the workers' two phases); a primary's ring is fed
 * with the decisions every worker samples (IPC). A worker only samples its decisions for the primary (`toPrimary`).
 */
export async function buildConsole(
  role: Role,
  cfg: Config,
  deps: {
    settings: CheckSettings;
    identity?: IdentityResolver;
    store: PolicyStore;
    /** The shadow candidate (the playground can check against it). */
    shadow: Shadow;
    redactor: Redactor;
    toPrimary?: (d: Omit<ConsoleDecision, 'seq'>) => void;
  },
): Promise<ConsoleParts> {
  const { checks, ownsPolicy, runsWorkers } = ROLES[role];
  if (!cfg.console.enabled) return { close: () => undefined };
  if (!ownsPolicy) {
    const sink = deps.toPrimary ?? (() => undefined);
    return {
      sampler: createDecisionSampler<CheckOutcome>({
        perSecond: cfg.console.sample_per_second,
        redactor: deps.redactor,
        inputMaxBytes: cfg.console.input_max_bytes,
        sink,
        complete: completeFacts,
      }),
      close: () => undefined,
    };
  }
  const identity = deps.identity!;
  const c = (await import('../../admin/console/console.js')).createConsole(cfg.console, {
    runOne: (request, policy) =>
      createCheckPipeline({ settings: deps.settings, policy: () => policy, identity, factsAlsoFor: () => true }).check(request),
    policyFor: async (rev) => (rev ? deps.store.instance(rev, instantiateArtifact) : deps.store.current()),
    candidate: () => deps.shadow.candidate()?.policy,
    redactor: deps.redactor,
    complete: completeFacts,
  });
  if (!runsWorkers) return { ...(checks ? { sampler: c.sampler } : {}), deps: c.deps, close: () => undefined };
  const ring = c.deps.ring;
  const onMessage = (_worker: unknown, m: unknown): void => {
    if (isDecision(m)) ring.add(m.decision);
  };
  cluster.on('message', onMessage);
  return { deps: c.deps, close: () => void cluster.off('message', onMessage) };
}
