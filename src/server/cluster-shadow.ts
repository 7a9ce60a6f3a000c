import type { Logger } from 'pino';
import { instantiateArtifact } from '../policy/engine.js';
import { combineReports, type Shadow, type ShadowCandidate, type ShadowReport } from '../shadow/shadow.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import type { FromWorker, ShadowSpec } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

const LOAD_TIMEOUT_MS = 60_000;
const REPORT_TIMEOUT_MS = 5_000;

type Shadowed = Extract<FromWorker, { type: 'mcp-authz:shadowed' }>;
type Reported = Extract<FromWorker, { type: 'mcp-authz:shadow-report' }>;

/**
 * The shadow candidate of a cluster: the primary loads it (and refuses a broken one) once, every worker shadows the
 * same bytes, and the report is the workers' reports combined. `shadow` is the primary's own record of the
 * candidate (it answers no checks, so it evaluates nothing).
 */
export function clusterShadow(shadow: Shadow, pool: () => WorkerPool | undefined, logger: Logger, maxDifferences: number) {
  const specOf = (c: ShadowCandidate | undefined): ShadowSpec | null =>
    c ? { artifact: c.policy.artifact, from: c.from, loadedAt: c.loadedAt.toISOString(), loadedBy: c.loadedBy } : null;
  const tell = async (candidate: ShadowSpec | null) => {
    const p = pool();
    if (!p) return [];
    const workers = p.workers();
    const results = await Promise.allSettled(
      workers.map((w) => {
        const id = p.requestId();
        return p.request<Shadowed>(w, { type: 'mcp-authz:shadow', id, candidate }, 'mcp-authz:shadowed', (r) => r.id === id, LOAD_TIMEOUT_MS);
      }),
    );
    return results.flatMap((r, i) => {
      if (r.status === 'rejected') return [`worker ${workers[i]!.id}: ${(r.reason as Error).message}`];
      return r.value.ok ? [] : [`worker ${workers[i]!.id}: ${r.value.error ?? 'failed'}`];
    });
  };
  return {
    /** The candidate a new or restarted worker starts shadowing. */
    spec: () => specOf(shadow.candidate()),
    /** Start (or stop) shadowing on every worker; when one cannot, none shadows and this throws. */
    async onCandidate(candidate: ShadowCandidate | undefined): Promise<void> {
      const failures = await tell(specOf(candidate));
      if (failures.length === 0) return;
      if (candidate) {
        await tell(specOf(shadow.candidate()));
        throw new AuthzError(
          STARTUP_ERROR.worker_prepare_failed,
          `not every worker could load the shadow candidate ${candidate.policy.revision}`,
          failures,
        );
      }
      logger.error({ failures }, 'a worker did not stop shadowing');
    },
    /** The workers' reports combined; each sends at most `limit` of its latest differences (0: counts only). */
    async report(limit = maxDifferences): Promise<ShadowReport> {
      const own = shadow.report(0);
      const p = pool();
      if (!p || !own.candidate) return own;
      const workers = p.workers();
      const replies = await Promise.allSettled(
        workers.map((w) => {
          const id = p.requestId();
          return p.request<Reported>(
            w,
            { type: 'mcp-authz:shadow-report', id, limit },
            'mcp-authz:shadow-report',
            (r) => r.id === id,
            REPORT_TIMEOUT_MS,
          );
        }),
      );
      const reports: ShadowReport[] = [];
      replies.forEach((r, i) => {
        // A worker shadowing another candidate (one that restarted mid-change) is left out.
        if (
          r.status === 'fulfilled' &&
          r.value.report.candidate?.sha256 === own.candidate!.sha256 &&
          r.value.report.candidate.loaded_at === own.candidate!.loaded_at
        )
          reports.push(r.value.report);
        else logger.warn({ worker: workers[i]!.id }, 'worker left out of this shadow report');
      });
      return combineReports(own.candidate, reports, Math.min(limit, maxDifferences));
    },
  };
}

/** A worker's side: shadow the candidate the primary sent, from its bytes (null: stop). */
export async function shadowFromSpec(shadow: Shadow, spec: ShadowSpec | null): Promise<void> {
  if (!spec) {
    shadow.discard();
    return;
  }
  const policy = await instantiateArtifact(spec.artifact);
  shadow.load({ policy, from: spec.from, loadedAt: new Date(spec.loadedAt), loadedBy: spec.loadedBy });
}
