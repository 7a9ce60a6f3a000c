import { type HttpReply, json, type RouteContext, type Routes } from './http-server.js';
import type { Approvals } from '../approvals/approvals.js';
import { parseDuration } from '../approvals/duration.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../approvals/types.js';

const bad = (message: string) => json(400, { error: 'bad_request', message });
const MAX_REASON = 1000;
/** Text that ends up in denial bodies, metadata and logs: well-formed, no control or line-separator characters. */
const plainText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max && !/[\p{Cc}\p{Cs}\u2028\u2029]/u.test(v);

/**
 * Who acts: the authenticated user when the admin address requires authentication (admin_auth), else the `by` the
 * caller names (the CLI sends $USER@host; the console asks for a name). Nobody is an answer only for reading:
 * an action without either is refused (approver_required), so every decision in the audit trail has a name.
 */
export function actorOf(ctx: RouteContext, by: unknown): string | undefined {
  if (ctx.user) return ctx.user;
  if (typeof by === 'string' && by.trim()) return by.trim().slice(0, 200);
  return undefined;
}

const approverRequired = () =>
  json(400, {
    error: 'approver_required',
    message: 'say who acts: "by" in the body (mcp-authz approvals --by NAME), or turn on admin_auth so the authenticated user is recorded',
  });

/**
 * The approval an `:id` names: the id itself, or a unique prefix of 8 or more hex digits of it (with or without
 * `sha256:`), as `policy rollback` takes revisions. An unknown id is left as it is (the store answers not found).
 */
async function resolveId(approvals: Approvals, raw: string): Promise<{ id: string } | { reply: HttpReply }> {
  const m = /^(?:sha256:)?([0-9a-f]{8,63})$/.exec(raw);
  if (!m || (await approvals.store.get(raw, new Date()))) return { id: raw };
  const prefix = `sha256:${m[1]}`;
  const ids = (await approvals.store.list({ limit: 1_000_000 }, new Date())).map((a) => a.id).filter((id) => id.startsWith(prefix));
  if (ids.length === 1) return { id: ids[0]! };
  if (ids.length === 0) return { id: raw };
  return {
    reply: json(409, {
      error: 'approval_id_ambiguous',
      id: raw,
      message: `${ids.length} approvals start with ${raw}: give more digits`,
      matches: ids.slice(0, 10),
    }),
  };
}

/** Runs a route with `ctx.params.id` resolved (a unique prefix becomes the whole id). */
const withId =
  (approvals: Approvals, route: (body: unknown, ctx: RouteContext) => Promise<HttpReply>) =>
  async (body: unknown, ctx: RouteContext): Promise<HttpReply> => {
    const r = await resolveId(approvals, ctx.params.id!);
    if ('reply' in r) return r.reply;
    return route(body, { ...ctx, params: { ...ctx.params, id: r.id } });
  };

/** The approvals admin API (admin_addr): list, show, approve, reject, reopen, history. */
export function approvalRoutes(approvals: Approvals): Routes {
  return {
    'GET /v1/approvals': async (_b, ctx) => {
      const status = ctx.query.get('status') ?? undefined;
      if (status && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) return bad(`status must be one of ${APPROVAL_STATUSES.join(', ')}`);
      const limit = Number(ctx.query.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad('limit must be an integer from 1 to 10000');
      return json(200, {
        approvals: await approvals.store.list({ ...(status ? { status: status as ApprovalStatus } : {}), limit }, new Date()),
        store: approvals.store.kind,
        // The authenticated admin user (admin_auth): the console then records actions under this name.
        approver: ctx.user ?? null,
      });
    },
    'GET /v1/approvals/history': async (_b, ctx) => {
      const limit = Number(ctx.query.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad('limit must be an integer from 1 to 10000');
      return json(200, { events: await approvals.store.history(limit) });
    },
    'GET /v1/approvals/:id': withId(approvals, async (_b, ctx) => {
      const found = await approvals.store.get(ctx.params.id!, new Date());
      return found ? json(200, found) : json(404, { error: 'approval_not_found', id: ctx.params.id });
    }),
    'POST /v1/approvals/:id/approve': withId(approvals, async (body, ctx) => {
      const b = (body ?? {}) as { by?: unknown; uses?: unknown; ttl?: unknown; reason?: unknown };
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) return bad('body must be a JSON object');
      if (b.uses !== undefined && (typeof b.uses !== 'number' || !Number.isInteger(b.uses) || b.uses < 1))
        return bad('uses must be a positive integer');
      let ttlSeconds: number | undefined;
      if (b.ttl !== undefined) {
        ttlSeconds = typeof b.ttl === 'string' || typeof b.ttl === 'number' ? parseDuration(b.ttl) : undefined;
        if (ttlSeconds === undefined) return bad('ttl must be a duration such as 90s, 15m, 1h30m, 2d (or seconds)');
      }
      if (b.reason !== undefined && !plainText(b.reason, MAX_REASON))
        return bad(`reason must be text of at most ${MAX_REASON} characters, without control characters`);
      if (b.by !== undefined && !plainText(b.by, 200)) return bad('by must be text of at most 200 characters, without control characters');
      const actor = actorOf(ctx, b.by);
      if (!actor) return approverRequired();
      const r = await approvals.approve(ctx.params.id!, {
        actor,
        ...(b.uses !== undefined ? { uses: b.uses as number } : {}),
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
        reason: (b.reason as string | undefined) ?? null,
      });
      return reply(r, ctx.params.id!);
    }),
    'POST /v1/approvals/:id/reject': withId(approvals, (body, ctx) => decide(body, ctx, (id, req) => approvals.reject(id, req))),
    'POST /v1/approvals/:id/reopen': withId(approvals, (body, ctx) => decide(body, ctx, (id, req) => approvals.reopen(id, req))),
  };
}

/** reject and reopen: who acts and why, then the store's answer. */
async function decide(
  body: unknown,
  ctx: RouteContext,
  act: (id: string, req: { actor: string; reason: string | null }) => Promise<Awaited<ReturnType<Approvals['reject']>>>,
) {
  const b = (body ?? {}) as { by?: unknown; reason?: unknown };
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) return bad('body must be a JSON object');
  if (b.reason !== undefined && !plainText(b.reason, MAX_REASON))
    return bad(`reason must be text of at most ${MAX_REASON} characters, without control characters`);
  if (b.by !== undefined && !plainText(b.by, 200)) return bad('by must be text of at most 200 characters, without control characters');
  const actor = actorOf(ctx, b.by);
  if (!actor) return approverRequired();
  return reply(await act(ctx.params.id!, { actor, reason: (b.reason as string | undefined) ?? null }), ctx.params.id!);
}

function reply(r: Awaited<ReturnType<Approvals['approve']>>, id: string) {
  if (r.ok) return json(200, { approval: r.approval });
  if (r.error === 'bad_request') return bad(r.message);
  if (r.error === 'not_found') return json(404, { error: 'approval_not_found', id });
  return json(409, {
    error: 'approval_conflict',
    id,
    status: r.status,
    message: `approval is ${r.status}; only pending approvals can be approved, pending or approved ones rejected, and expired or used ones reopened`,
  });
}
