import type { Logger } from 'pino';
import type { PolicyReloader } from '../policy/reloader.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { Policy } from '../rego-wasm/index.js';
import type { CandidateSpec } from '../shadow/candidate-source.js';
import type { Shadow, ShadowCandidate, ShadowReport } from '../shadow/shadow.js';
import { AuthzError } from '../shared/errors.js';
import { actorOf } from './approval-routes.js';
import { json, type RouteContext, type Routes } from './http-server.js';

export interface ShadowDeps {
  shadow: Shadow;
  store: PolicyStore;
  reloader: PolicyReloader;
  /** Builds a candidate beside the active revision (src/shadow/candidate-source.ts); undefined: no such revision. */
  load: (spec: CandidateSpec) => Promise<{ policy: Policy; from: string } | undefined>;
  /** A cluster primary: start or stop shadowing on every worker first (throws when one cannot). */
  onCandidate?: (candidate: ShadowCandidate | undefined) => Promise<void>;
  /** A cluster primary: the workers' reports combined, `recent` at most `limit` (0: counts only). Default: this process's. */
  report?: (limit?: number) => Promise<ShadowReport>;
  logger: Logger;
}

const bad = (message: string) => json(400, { error: 'bad_request', message });

/** Who acts: the admin_auth user, else the `by` the caller names; shadow actions without one are refused. */
const actorRequired = () =>
  json(400, {
    error: 'actor_required',
    message: 'say who acts: "by" in the body (mcp-authz policy shadow … --by NAME), or turn on admin_auth so the authenticated user is recorded',
  });

/**
 * The shadow candidate's admin API, beside /v1/policies: load a candidate (a path on the server's machine, a bundle
 * URL or a remembered revision), its status and report, promote it (the normal activation: two-phase across workers, the
 * old revision kept for rollback) or discard it. Loads, promotions and discards are logged with who did them.
 */
export function shadowRoutes(deps: ShadowDeps): Routes {
  const { shadow, logger } = deps;
  const report = deps.report ?? (async (limit?: number) => shadow.report(limit));
  const status = async () => {
    const r = await report(0); // counts only
    return {
      active: deps.store.current()?.revision ?? null,
      candidate: r.candidate,
      checks: r.checks,
      dropped: r.dropped,
      differences: r.differences,
      by_kind: r.by_kind,
    };
  };
  const noCandidate = () => json(404, { error: 'no_candidate', message: 'no shadow candidate is loaded (mcp-authz policy shadow load PATH)' });

  return {
    // `user`: the admin_auth user every action is recorded under (null: the caller names itself with "by").
    'GET /v1/policies/shadow': async (_b, ctx) => json(200, { ...(await status()), user: ctx.user ?? null }),
    'GET /v1/policies/shadow/report': async (_b, ctx) => {
      const limit = ctx.query.get('limit');
      if (limit !== null && !/^[1-9]\d{0,5}$/.test(limit)) return bad('limit must be an integer from 1 to 999999');
      const r = await report(limit !== null ? Number(limit) : undefined);
      return json(200, { active: deps.store.current()?.revision ?? null, ...r, user: ctx.user ?? null });
    },
    'POST /v1/policies/shadow': async (body, ctx: RouteContext) => {
      const b = (body ?? {}) as { path?: unknown; url?: unknown; revision?: unknown; by?: unknown };
      const by = actorOf(ctx, b.by);
      if (!by) return actorRequired();
      const given = (['path', 'url', 'revision'] as const).flatMap((k) => (typeof b[k] === 'string' && b[k] ? [[k, b[k] as string] as const] : []));
      if (given.length !== 1)
        return bad(
          'body must be {"path": "<policy dir or bundle file>"}, {"url": "<http(s) URL of an opa build bundle>"} or {"revision": "<revision or sha256 prefix>"}, and "by"',
        );
      const [kind, value] = given[0]!;
      if (kind === 'url' && !/^https?:\/\//i.test(value)) return bad('url must be an http:// or https:// URL');
      const spec: CandidateSpec = kind === 'path' ? { path: value } : kind === 'url' ? { url: value } : { revision: value };
      // Logged without a query string (a signed URL carries its secret there).
      const named = kind === 'url' ? value.replace(/[?#].*$/s, '') : value;
      let loaded: { policy: Policy; from: string } | undefined;
      let candidate: ShadowCandidate | undefined;
      try {
        loaded = await deps.load(spec);
        if (loaded) candidate = { policy: loaded.policy, from: loaded.from, loadedAt: new Date(), loadedBy: by };
        if (candidate) await deps.onCandidate?.(candidate);
      } catch (err) {
        const e = err as Error;
        const code = e instanceof AuthzError ? e.code : 'policy_load_failed';
        logger.warn({ by, from: named, code, err: e.message }, 'shadow candidate refused; the active revision is untouched');
        return json(422, { error: { code, message: e.message }, active: deps.store.current()?.revision ?? null });
      }
      if (!candidate) return json(404, { error: 'revision_not_found', revisions: deps.store.list().map((r) => r.revision) });
      shadow.load(candidate);
      logger.info({ by, from: candidate.from, candidate: candidate.policy.revision, sha256: candidate.policy.sha256 }, 'shadow candidate loaded');
      return json(200, await status());
    },
    'POST /v1/policies/shadow/promote': async (body, ctx) => {
      const by = actorOf(ctx, (body as { by?: unknown } | undefined)?.by);
      if (!by) return actorRequired();
      const candidate = shadow.candidate();
      if (!candidate) return noCandidate();
      const r = await report(0);
      try {
        await deps.reloader.activate(candidate.policy, 'shadow promote', { by, checks: r.checks, differences: r.differences });
      } catch (err) {
        const e = err as Error;
        const code = e instanceof AuthzError ? e.code : 'policy_load_failed';
        return json(500, { error: { code, message: e.message }, active: deps.store.current()?.revision ?? null });
      }
      if (shadow.candidate() === candidate) {
        shadow.discard();
        await deps.onCandidate?.(undefined);
      }
      return json(200, {
        active: candidate.policy.revision,
        sha256: candidate.policy.sha256,
        checks: r.checks,
        differences: r.differences,
      });
    },
    'POST /v1/policies/shadow/discard': async (body, ctx) => {
      const by = actorOf(ctx, (body as { by?: unknown } | undefined)?.by);
      if (!by) return actorRequired();
      if (!shadow.candidate()) return noCandidate();
      const r = await report(0);
      const dropped = shadow.discard()!;
      await deps.onCandidate?.(undefined);
      logger.info({ by, candidate: dropped.policy.revision, checks: r.checks, differences: r.differences }, 'shadow candidate discarded');
      return json(200, { discarded: dropped.policy.revision, active: deps.store.current()?.revision ?? null });
    },
  };
}
