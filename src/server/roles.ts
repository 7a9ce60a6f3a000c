/**
 * The three roles one server process can play (docs/workers.md). They are the same wiring (src/server/app.ts
 * startServer) with parts switched on or off:
 *
 * - `single`: one process (`--workers 1`): answers checks and owns the policy.
 * - `primary`: the cluster primary of `--workers N`: owns the policy and runs the workers; answers no check.
 * - `worker`: a cluster worker: answers checks from the revisions the primary hands it over IPC.
 */
export type Role = 'single' | 'primary' | 'worker';

/** What a role has. */
export interface RoleParts {
  /**
   * Answers checks: the gRPC server (Check, health, reflection), the check pipeline, the decision cache, the
   * evaluation deadline, the decision log and tracing.
   */
  checks: boolean;
  /**
   * Owns the policy: loads it at startup, reloads it (file watch, SIGHUP, bundle polling), serves the ops HTTP
   * (/healthz, /readyz, /metrics) and the admin API (policies, shadow, approvals, the console's playground), and
   * writes the startup line. A role that does not receives its revisions from the primary.
   */
  ownsPolicy: boolean;
  /** Runs the worker processes: forks them, hands every one the same revisions (two phases), aggregates their metrics. */
  runsWorkers: boolean;
}

export const ROLES: Readonly<Record<Role, Readonly<RoleParts>>> = {
  single: { checks: true, ownsPolicy: true, runsWorkers: false },
  primary: { checks: false, ownsPolicy: true, runsWorkers: true },
  worker: { checks: true, ownsPolicy: false, runsWorkers: false },
};

/** The role `serve` starts in: a primary when more than one worker is asked for, else the single process. */
export function servingRole(workers: number): Exclude<Role, 'worker'> {
  return workers > 1 ? 'primary' : 'single';
}
