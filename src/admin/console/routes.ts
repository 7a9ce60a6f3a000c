import type { HttpReply, Routes } from '../http-server.js';
import { json } from '../http-server.js';
import { CONTENT_SECURITY_POLICY, createAssets, PAGE } from './assets.js';
import type { DecisionRing } from './decision-feed.js';

export interface PlaygroundRequest {
  /** The MCP body, as text (sent exactly as typed). */
  body: string;
  headers: Record<string, string>;
  /** The mTLS peer (source principal), e.g. a SPIFFE id. */
  principal?: string;
  /** A remembered revision; default the active one. */
  revision?: string;
  /** Check against the shadow candidate instead (docs/lifecycle.md#shadow-evaluation); excludes `revision`. */
  candidate?: boolean;
}

export interface ConsoleDeps {
  ring: DecisionRing;
  /** Decisions not sampled into the ring (this process). */
  dropped(): number;
  /** Run one request offline through the same pipeline as `mcp-authz check`; the result is `check --json`'s. */
  playground(req: PlaygroundRequest): Promise<{ ok: true; result: unknown } | { ok: false; status: number; error: string; message: string }>;
  /** Names of the `--cases` suites the playground can run. */
  suites(): string[];
  /** `mcp-authz check --cases` for one suite against a revision: its exit code and output. */
  runSuite(
    name: string,
    revision?: string,
  ): Promise<{ ok: true; code: number; output: string } | { ok: false; status: number; error: string; message: string }>;
}

const page = (body: string, contentType: string): HttpReply => ({
  status: 200,
  body,
  contentType,
  headers: {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  },
});
const notFound = () => json(404, { error: 'not_found' });
const bad = (message: string) => json(400, { error: 'bad_request', message });

/** The console (static shell and assets) and its APIs: live decisions and the playground. */
export function consoleRoutes(deps: ConsoleDeps): Routes {
  const assets = createAssets();
  return {
    'GET /': () => ({ status: 302, body: '', contentType: 'text/plain', headers: { location: '/console/' } }),
    'GET /console': () => ({ status: 302, body: '', contentType: 'text/plain', headers: { location: '/console/' } }),
    'GET /console/': () => page(PAGE, 'text/html; charset=utf-8'),
    // One approval's page (the webhook links here): the console opens it.
    'GET /console/approvals/:id': (_b, ctx) => ({
      status: 302,
      body: '',
      contentType: 'text/plain',
      headers: { location: `/console/#/approvals/${encodeURIComponent(ctx.params.id!)}` },
    }),
    'GET /console/app/:name': (_b, ctx) => {
      const a = assets.app(ctx.params.name!);
      return a ? page(a.body, a.contentType) : notFound();
    },
    'GET /console/vendor/:name': (_b, ctx) => {
      const a = assets.vendor(ctx.params.name!);
      return a ? page(a.body, a.contentType) : notFound();
    },
    'GET /v1/decisions': (_b, ctx) => {
      const q = ctx.query;
      const after = q.get('after');
      const limit = Number(q.get('limit') ?? 200);
      if (after !== null && !/^\d+$/.test(after)) return bad('after must be a sequence number');
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad('limit must be an integer from 1 to 10000');
      const filter = {
        ...(after !== null ? { after: Number(after) } : {}),
        limit,
        ...Object.fromEntries(['decision', 'agent', 'tool', 'rule'].flatMap((k) => (q.get(k) ? [[k, q.get(k)!]] : []))),
      };
      // The list omits inputs (they can be large); the detail route has them.
      const decisions = deps.ring.list(filter).map(({ input: _input, ...rest }) => rest);
      return json(200, { decisions, latest: deps.ring.latest(), size: deps.ring.size(), bytes: deps.ring.bytes(), dropped: deps.dropped() });
    },
    // The buffer as decision-log lines (NDJSON, oldest first), for `mcp-authz policy replay --from-console`.
    'GET /v1/decisions/export': () => ({
      status: 200,
      contentType: 'application/x-ndjson; charset=utf-8',
      body: deps.ring
        .list({ limit: Math.max(1, deps.ring.size()) })
        .reverse()
        .map((d) =>
          JSON.stringify({
            msg: 'policy_decision',
            time: d.time,
            decision: d.decision,
            reason_code: d.reason_code,
            rule: d.rule,
            policy: d.revision,
            mcp_method: d.mcp_method,
            tool: d.tool,
            agent: d.agent,
            input: d.input,
          }),
        )
        .map((line) => `${line}\n`)
        .join(''),
    }),
    'GET /v1/decisions/:seq': (_b, ctx) => {
      const d = /^\d+$/.test(ctx.params.seq!) ? deps.ring.get(Number(ctx.params.seq)) : undefined;
      return d
        ? json(200, d)
        : json(404, { error: 'decision_not_found', message: 'not in the recent-decisions buffer (it keeps the newest console.buffer_size)' });
    },
    'POST /v1/playground/check': async (body) => {
      const b = body as Partial<PlaygroundRequest> | undefined;
      if (!b || typeof b !== 'object' || typeof b.body !== 'string')
        return bad('body must be {"body": "<MCP JSON-RPC text>", "headers": {...}, "principal": "...", "revision": "..." or "candidate": true}');
      const headers = b.headers ?? {};
      if (typeof headers !== 'object' || Array.isArray(headers) || !Object.values(headers).every((v) => typeof v === 'string'))
        return bad('headers must be an object of strings');
      if (b.principal !== undefined && typeof b.principal !== 'string') return bad('principal must be a string');
      if (b.revision !== undefined && typeof b.revision !== 'string') return bad('revision must be a string');
      if (b.candidate !== undefined && typeof b.candidate !== 'boolean') return bad('candidate must be true or false');
      if (b.candidate && b.revision) return bad('name a revision or the candidate, not both');
      const r = await deps.playground({
        body: b.body,
        headers,
        ...(b.principal ? { principal: b.principal } : {}),
        ...(b.revision ? { revision: b.revision } : {}),
        ...(b.candidate ? { candidate: true } : {}),
      });
      return r.ok ? json(200, r.result) : json(r.status, { error: r.error, message: r.message });
    },
    'GET /v1/playground/suites': () => json(200, { suites: deps.suites() }),
    'POST /v1/playground/cases': async (body) => {
      const b = body as { suite?: unknown; revision?: unknown } | undefined;
      if (!b || typeof b.suite !== 'string') return bad('body must be {"suite": "<name>", "revision": "..."}');
      if (b.revision !== undefined && typeof b.revision !== 'string') return bad('revision must be a string');
      const r = await deps.runSuite(b.suite, b.revision as string | undefined);
      return r.ok ? json(200, { code: r.code, passed: r.code === 0, output: r.output }) : json(r.status, { error: r.error, message: r.message });
    },
  };
}
