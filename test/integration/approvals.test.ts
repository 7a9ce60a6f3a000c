// The approval loop end to end: the real opa build of rego/ with the action-firewall example, real gRPC servers,
// the admin API and the `mcp-authz approvals` CLI, a real SQLite file shared by two servers, and a real webhook
// receiver. (test/integration/approvals-redis.test.ts runs the replica case on a real redis-server.)
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFirewallAlwaysOpen, admin, approvalsCli, check, payment } from '../helpers/approvals.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let tmp: string;
let one: TestServer;
let two: TestServer;
let frozen: TestServer;
let hook: Server;
const received: any[] = [];
let failNext = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-approvals-it-'));
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body: JSON.parse(body), type: req.headers['content-type'] });
      res.writeHead(failNext-- > 0 ? 503 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const config = join(tmp, 'config.yaml');
  await writeFile(
    config,
    [
      'observability:',
      '  decision_log: {redact_fields: [arguments.body.memo]}',
      'approvals:',
      `  webhook: {url: "http://127.0.0.1:${(hook.address() as { port: number }).port}/hook", initial_backoff_seconds: 0.05, timeout_seconds: 2, console_url: "http://127.0.0.1:8282/console/"}`,
    ].join('\n'),
  );
  const data = await actionFirewallAlwaysOpen(tmp);
  const db = join(tmp, 'shared', 'approvals.db');
  // Two servers (two workers of a pod, or two restarts) on one SQLite file.
  one = await startTestServer({ data: [data], 'approvals-db': db }, config);
  two = await startTestServer({ data: [data], 'approvals-db': db }, config);
  // A third on the same store, whose policy denies large payments outright.
  const denying = await actionFirewallAlwaysOpen(tmp, (doc) =>
    doc.mcp_authz.tool_policies[0].rules.push({
      name: 'payments-frozen',
      max: { argument: 'body.amount', value: 100 },
      action: 'deny',
      message: 'payments are frozen',
    }),
  );
  frozen = await startTestServer({ data: [denying], 'approvals-db': db });
});
afterAll(async () => {
  await Promise.all([one?.close(), two?.close(), frozen?.close()]);
  await new Promise((r) => hook?.close(r));
  await rm(tmp, { recursive: true, force: true });
});

describe('the approval loop', () => {
  it('records one pending approval per call, redacted, and notifies the webhook once (with retries)', async () => {
    failNext = 1; // the receiver fails the first attempt: the notifier retries
    const first = await check(one, payment(50000, { memo: 'card 4242-secret-memo' }));
    expect(first).toMatchObject({ allowed: false, status: 403, body: { error: 'approval_required', rule: 'large-payment' } });
    const id = first.body.approval_id as string;
    // The same call again, through the other server, with another JSON-RPC id: the same approval.
    expect((await check(two, payment(50000, { memo: 'card 4242-secret-memo' }, 7))).body.approval_id).toBe(id);

    const list = await admin(one, '/v1/approvals?status=pending');
    const mine = list.body.approvals.filter((a: any) => a.id === id);
    expect(mine).toHaveLength(1);
    expect(mine[0].agent).toContain('payment-agent');
    expect(mine[0]).toMatchObject({
      status: 'pending',
      ask_count: 2,
      tools: ['http_proxy'],
      rule: 'large-payment',
      message: 'payments above 10000 require approval',
    });
    expect(mine[0].calls).toEqual([
      { tool: 'http_proxy', arguments: { url: 'https://api.stripe.com/v1/charges', body: { amount: 50000, currency: 'usd', memo: '[REDACTED]' } } },
    ]);
    expect(mine[0].revision).toBe(one.app.policy()!.revision);

    await expect.poll(() => received.filter((r) => r.body.approval?.id === id).length, { timeout: 5000 }).toBe(2);
    const [hit] = received.filter((r) => r.body.approval?.id === id);
    expect(hit.type).toBe('application/json');
    expect(hit.body.event).toBe('approval.pending');
    expect(hit.body.text).toContain(`mcp-authz approvals approve ${id}`);
    // What is being approved, redacted, and a link to this approval in the console.
    expect(hit.body.text).toContain(
      'http_proxy {"url":"https://api.stripe.com/v1/charges","body":{"amount":50000,"currency":"usd","memo":"[REDACTED]"}}',
    );
    const link = `http://127.0.0.1:8282/console/approvals/${encodeURIComponent(id)}`;
    expect(hit.body.text).toContain(`Console: ${link}`);
    expect(hit.body.console_url).toBe(link);
    expect(JSON.stringify(hit.body)).not.toContain('secret-memo');
  });

  it('approved through one server (CLI), the retry passes through the other, uses count down, then it is pending again', async () => {
    const call = payment(20000);
    const id = (await check(one, call)).body.approval_id;
    const approved = await approvalsCli(one, ['approve', id, '--uses', '2', '--ttl', '10m', '--reason', 'invoice 42', '--by', 'alice']);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toContain(`approved ${id}`);

    const retry = await check(two, payment(20000, {}, 'retry-1'));
    expect(retry).toMatchObject({ allowed: true, headers: { 'x-mcp-authz-approval-id': id } });
    const line = two.decisions.findLast((d) => d.approved_by);
    expect(line).toMatchObject({ decision: 'allow', reason_code: 'approval_granted', approved_by: 'alice', approval_id: id, rule: 'large-payment' });

    expect((await check(one, payment(20000, {}, 'retry-2'))).allowed).toBe(true);
    // Two uses granted, two used: the third retry is a new pending approval.
    const third = await check(two, payment(20000, {}, 'retry-3'));
    expect(third).toMatchObject({ allowed: false, body: { error: 'approval_required', approval_id: id } });
    const shown = await approvalsCli(one, ['show', id]);
    expect(shown.out).toMatch(/status: +pending/);
    expect(shown.out).toMatch(/approved +alice +\(invoice 42\)/);
    expect(shown.out.match(/ used /g)).toHaveLength(2);
  });

  it('never matches another agent or other arguments, and never turns a deny into an allow', async () => {
    const id = (await check(one, payment(30000))).body.approval_id;
    expect((await admin(one, `/v1/approvals/${encodeURIComponent(id)}/approve`, { by: 'alice', uses: 10 })).status).toBe(200);
    const other = await check(one, payment(30000), { principal: 'spiffe://cluster.local/ns/agents/sa/other-agent' });
    expect(other).toMatchObject({ allowed: false, body: { error: 'approval_required' } });
    expect(other.body.approval_id).not.toBe(id);
    expect((await check(one, payment(30001))).allowed).toBe(false);
    // The same call, same agent, on a server whose policy denies it: still denied, and no use is taken.
    const denied = await check(frozen, payment(30000));
    expect(denied).toMatchObject({ allowed: false, body: { error: 'policy_denied', rule: 'payments-frozen' } });
    expect((await admin(one, `/v1/approvals/${encodeURIComponent(id)}`)).body.approval.uses_left).toBe(10);
    expect((await check(one, payment(30000))).allowed).toBe(true);
  });

  it('a rejected call is denied with rule approval_rejected; actions are audited with who and when', async () => {
    const id = (await check(one, payment(40000))).body.approval_id;
    const r = await approvalsCli(one, ['reject', id, '--reason', 'not this vendor', '--by', 'bob']);
    expect(r.code).toBe(0);
    const retry = await check(two, payment(40000));
    expect(retry).toMatchObject({ allowed: false, status: 403, body: { error: 'approval_rejected', rule: 'approval_rejected', approval_id: id } });
    expect(retry.body.message).toBe(`approval ${id} was rejected by bob: not this vendor`);
    const again = await approvalsCli(one, ['approve', id]);
    expect(again.code).toBe(1);
    expect(again.out).toContain('approval_conflict');
    const { body } = await admin(one, `/v1/approvals/${encodeURIComponent(id)}`);
    const rejected = body.events.find((e: any) => e.action === 'rejected');
    expect(rejected).toMatchObject({ actor: 'bob', reason: 'not this vendor' });
    expect(Date.parse(rejected.at)).not.toBeNaN();
    const history = await admin(one, '/v1/approvals/history?limit=5');
    expect(history.body.events[0]).toMatchObject({ approval_id: id, action: 'rejected', actor: 'bob' });
  });

  it('an expired grant goes back to pending', async () => {
    const id = (await check(one, payment(60000))).body.approval_id;
    expect((await admin(one, `/v1/approvals/${encodeURIComponent(id)}/approve`, { by: 'alice', ttl: '1s' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await admin(one, `/v1/approvals/${encodeURIComponent(id)}`)).body.approval.status).toBe('expired');
    expect((await check(one, payment(60000))).body).toMatchObject({ error: 'approval_required', approval_id: id });
    const { body } = await admin(one, `/v1/approvals/${encodeURIComponent(id)}`);
    expect(body.approval.status).toBe('pending');
    expect(body.events.map((e: any) => e.action)).toEqual(['requested', 'approved', 'expired', 'requested']);
  });

  it('a client cannot forge the approval header; bad API requests get clear errors', async () => {
    const ok = await check(one, payment(5), { headers: { 'x-mcp-authz-approval-id': 'sha256:forged' } });
    expect(ok.allowed).toBe(true);
    expect(ok.removed).toContain('x-mcp-authz-approval-id');
    expect((await admin(one, '/v1/approvals/sha256%3Anope')).status).toBe(404);
    expect((await admin(one, '/v1/approvals/sha256%3Anope/approve', { ttl: 'soon' })).body).toMatchObject({ error: 'bad_request' });
    expect((await admin(one, '/v1/approvals/sha256%3Anope/approve', { uses: 0 })).status).toBe(400);
    expect((await admin(one, '/v1/approvals/sha256%3Anope/approve', { by: 'alice' })).status).toBe(404);
    // Nobody named, no admin_auth: refused, so every decision in the audit trail has a name.
    expect((await admin(one, '/v1/approvals/sha256%3Anope/approve', {})).body).toMatchObject({ error: 'approver_required' });
    expect((await admin(one, '/v1/approvals/sha256%3Anope/reject', { by: '  ' })).body).toMatchObject({ error: 'approver_required' });
    expect((await admin(one, '/v1/approvals?status=maybe')).status).toBe(400);
    const cli = await approvalsCli(one, ['approve']);
    expect(cli.code).toBe(3);
  });

  it('the CLI: unique id prefixes, columns that never run together, a typo gets "did you mean"', async () => {
    const id = (await check(one, payment(12345))).body.approval_id as string;
    const prefix = id.slice('sha256:'.length, 'sha256:'.length + 12);
    const shown = await approvalsCli(one, ['show', prefix]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`id:          ${id}`);
    expect(await approvalsCli(one, ['approve', `sha256:${prefix}`, '--by', 'alice'])).toMatchObject({
      code: 0,
      out: expect.stringContaining(`approved ${id}`),
    });
    // Too short to be a prefix: not found, not a guess.
    expect((await admin(one, `/v1/approvals/${id.slice(0, 'sha256:'.length + 4)}`)).status).toBe(404);

    const list = await approvalsCli(one, ['list']);
    const [header, ...rows] = list.out.trimEnd().split('\n');
    const col = header!.indexOf('TOOLS');
    for (const row of rows) {
      expect(row.slice(col - 2, col), row).toBe('  '); // the AGENT cell ends before TOOLS starts
      expect(row.slice(col), row).toMatch(/^http_proxy/);
    }
    const typo = await approvalsCli(one, ['lst']);
    expect(typo.code).toBe(3);
    expect(typo.out).toContain('unknown subcommand "lst" (did you mean list?)');
  });

  it('exports approval metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${one.app.http.port}/metrics`)).text();
    const value = (re: RegExp) => Number(text.match(re)?.[1]);
    expect(value(/^mcp_authz_approvals\{status="pending"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^mcp_authz_approvals\{status="rejected"\} (\d+)/m)).toBe(1);
    expect(value(/^mcp_authz_approval_grants_used_total (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^mcp_authz_approval_events_total\{event="approved"\} (\d+)/m)).toBeGreaterThanOrEqual(3);
    expect(value(/^mcp_authz_approval_events_total\{event="expired"\} (\d+)/m)).toBe(1);
    expect(value(/^mcp_authz_approval_events_total\{event="requested"\} (\d+)/m)).toBeGreaterThanOrEqual(4);
  });

  it('prunes what approvals.retention_seconds (default 30 days) no longer keeps, and counts it', async () => {
    const before = await admin(one, '/v1/approvals?limit=1000');
    const rejected = before.body.approvals.filter((a: any) => a.status === 'rejected').map((a: any) => a.id);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    // 31 days from now, everything that is over is past retention; pending approvals stay.
    const pruned = await one.app.approvals!.prune(new Date(Date.now() + 31 * 86_400_000));
    expect(pruned).toBeGreaterThanOrEqual(rejected.length);
    for (const id of rejected) expect((await admin(one, `/v1/approvals/${encodeURIComponent(id)}`)).status).toBe(404);
    expect((await admin(one, '/v1/approvals?status=pending')).body.approvals.length).toBeGreaterThanOrEqual(1);
    const text = await (await fetch(`http://127.0.0.1:${one.app.http.port}/metrics`)).text();
    expect(Number(text.match(/^mcp_authz_approvals_pruned_total (\d+)/m)?.[1])).toBe(pruned);
  });
});
