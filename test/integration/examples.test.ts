import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'mcp-gateway';
let sign: (claims: Record<string, unknown>) => Promise<string>;
let configFile: string;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-examples-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  sign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('user-1').setIssuedAt().setExpirationTime('5m').sign(privateKey);
  configFile = join(dir, 'config.yaml');
  await writeFile(
    configFile,
    ['identity:', '  jwt:', '    enabled: true', `    jwks_file: ${join(dir, 'jwks.json')}`, `    issuers: ["${ISSUER}"]`, `    audiences: [${AUDIENCE}]`].join('\n'),
  );
});

const example = (name: string, file: string) => join(repoRoot, 'rego/examples', name, file);
const SUPPORT = 'spiffe://cluster.local/ns/agents/sa/support-agent';

async function check(server: TestServer, message: unknown, opts: { token?: string; principal?: string; headers?: Record<string, string> } = {}) {
  const req = mcpCheckRequest(message, { headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers } }) as any;
  req.attributes.source.principal = opts.principal ?? SUPPORT;
  const res = await server.client.check(req);
  const denied = res.denied_response;
  const headers = Object.fromEntries(((res.ok_response ?? denied)?.headers ?? []).map((h: any) => [h.header.key, h.header.value]));
  return {
    allowed: (res.status?.code ?? 0) === 0,
    status: denied ? httpStatus(denied.status) : 200,
    body: denied?.body ? JSON.parse(denied.body) : undefined,
    headers,
    removed: res.ok_response?.headers_to_remove ?? [],
    metadata: res.dynamic_metadata,
  };
}

describe('example: customer-service', () => {
  let enforce: TestServer;
  let audit: TestServer;
  beforeAll(async () => {
    enforce = await startTestServer({ data: [example('customer-service', 'enforce/data.yaml')] }, configFile);
    audit = await startTestServer({ data: [example('customer-service', 'audit/data.yaml')] }, configFile);
  });
  afterAll(async () => {
    await enforce?.close();
    await audit?.close();
  });

  it('support-agent may look up orders; delete_account is blocked', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    expect((await check(enforce, toolCall('customer-tools__lookup_order', { order_id: 'o1' }), { token })).allowed).toBe(true);
    const del = await check(enforce, toolCall('customer-tools__delete_account', { customer_id: 'c-9' }), { token });
    expect(del).toMatchObject({ allowed: false, status: 403, body: { error: 'policy_denied', rule: 'tool_not_allowed' } });
  });

  it('an unknown agent is denied', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const r = await check(enforce, toolCall('customer-tools__lookup_order', {}), { token, principal: 'spiffe://cluster.local/ns/agents/sa/intruder' });
    expect(r.body.rule).toBe('agent_unknown');
  });

  it('refunds: cap, reason, claims required and forwarded as headers, forged headers removed', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const ok = await check(enforce, toolCall('customer-tools__process_refund', { amount: 120, reason: 'damaged' }), { token, headers: { 'x-authz-claim-team': 'forged' } });
    expect(ok.allowed).toBe(true);
    expect(ok.headers).toMatchObject({ 'x-authz-claim-team': 'billing', 'x-authz-claim-customer-id': 'c-9', 'x-processed-by': 'billing' });

    const over = await check(enforce, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token });
    expect(over).toMatchObject({ status: 403, body: { error: 'policy_denied', rule: 'max-refund-amount', message: 'Refund amount exceeds the $500 limit' } });
    const noReason = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: '' }), { token });
    expect(noReason.body).toMatchObject({ rule: 'require-reason', message: 'A reason is required for refund requests' });

    const noTeam = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: 'x' }), { token: await sign({ customer_id: 'c-9' }) });
    expect(noTeam).toMatchObject({ status: 403, body: { rule: 'required_claim:team', message: 'Team claim is required for refund operations' } });
    const anonymous = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: 'x' }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);

    // Without a claim, the claim header is stripped, so a client cannot smuggle its own value in.
    const lookup = await check(enforce, toolCall('customer-tools__lookup_order', {}), { token: await sign({ team: 'billing' }), headers: { 'x-authz-claim-customer-id': 'forged' } });
    expect(lookup.allowed).toBe(true);
    expect(lookup.removed).toContain('x-authz-claim-customer-id');
  });

  it('audit mode allows and logs wouldDeny; enforce mode denies', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const before = audit.decisions.length;
    const r = await check(audit, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token });
    expect(r.allowed).toBe(true);
    expect(r.metadata.fields.would_deny).toEqual({ boolValue: true });
    await new Promise((res) => setTimeout(res, 50));
    const line = audit.decisions.slice(before).find((l) => l.msg === 'policy_decision')!;
    expect(line).toMatchObject({ decision: 'allow', wouldDeny: true, mode: 'audit', rule: 'max-refund-amount', message: 'Refund amount exceeds the $500 limit', agent: 'support-agent' });
    expect((await check(enforce, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token })).allowed).toBe(false);
  });
});

describe('example: action-firewall', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('action-firewall', 'data.yaml')] });
  });
  afterAll(async () => server?.close());

  // Business hours depend on the clock: assert the time rule exactly as the policy computes it.
  const now = new Date();
  const ny = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'long', hour: 'numeric', hourCycle: 'h23' }).formatToParts(now);
  const weekday = ny.find((p) => p.type === 'weekday')!.value;
  const hour = Number(ny.find((p) => p.type === 'hour')!.value);
  const open = !['Saturday', 'Sunday'].includes(weekday) && hour >= 9 && hour < 17;

  it(`business hours (now: ${weekday} ${hour}h New York → ${open ? 'open' : 'closed'})`, async () => {
    const r = await check(server, toolCall('http_proxy', { url: 'https://api.example.com/x', amount: 5 }));
    expect(r.allowed).toBe(open);
    if (!open) expect(r.body.rule).toBe('business-hours');
  });

  it('private network URLs, card numbers and SSNs are denied, whatever the time', async () => {
    for (const url of ['http://10.0.0.8/admin', 'http://[::ffff:192.168.1.1]/', 'http://3232235777/']) {
      const r = await check(server, toolCall('http_proxy', { url }));
      expect(r.allowed).toBe(false);
      expect(['private_network_url', 'ambiguous_url']).toContain(r.body.rule);
    }
    expect((await check(server, toolCall('create_payment', { note: 'card 4111 1111 1111 1111' }))).body.rule).toBe('no-card-or-ssn');
    expect((await check(server, toolCall('create_payment', { ssn: '123-45-6789' }))).body.rule).toBe('no-card-or-ssn');
  });

  it('payments above 10000 need approval, with a stable approval id; deny beats approval', async () => {
    const a = await check(server, toolCall('create_payment', { amount: 50000, currency: 'usd' }, 1));
    const b = await check(server, toolCall('create_payment', { currency: 'usd', amount: 50000 }, 2));
    if (open) {
      expect(a.body).toMatchObject({ error: 'approval_required', rule: 'large-payment' });
      expect(a.body.approval_id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(b.body.approval_id).toBe(a.body.approval_id);
      expect(a.headers['x-mcp-authz-approval-id']).toBe(a.body.approval_id);
    } else {
      expect(a.body.rule).toBe('business-hours');
    }
    const both = await check(server, toolCall('create_payment', { amount: 50000, ssn: '123-45-6789' }));
    expect(both.body.error).toBe('policy_denied');
  });
});

describe('example: customer-db-roles', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('customer-db-roles', 'data.yaml')] }, configFile);
  });
  afterAll(async () => server?.close());

  it('internal_user reads non-PII fields; PII and writes are admin-only', async () => {
    const internal = await sign({ roles: ['internal_user'] });
    const admin = await sign({ roles: ['admin'] });
    expect((await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: ['name'] }), { token: internal })).allowed).toBe(true);
    expect((await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: ['name', 'email'] }), { token: internal })).body.rule).toBe('restricted_fields');
    expect((await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: ['email', 'phone'] }), { token: admin })).allowed).toBe(true);
    expect((await check(server, toolCall('update_customer_status', { customer_id: 'CUST-002', new_status: 'pending' }), { token: internal })).body.rule).toBe('role_not_allowed');
    expect((await check(server, toolCall('update_customer_status', { customer_id: 'CUST-001', new_status: 'active' }), { token: admin })).allowed).toBe(true);
    expect((await check(server, toolCall('delete_customer', { customer_id: 'CUST-002' }), { token: internal })).body.rule).toBe('role_not_allowed');
  });
});

describe('example: mcp-gateway-demo', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('mcp-gateway-demo', 'data.yaml')] });
  });
  afterAll(async () => server?.close());

  it.each([
    ['https://malicious.com', 'url_not_allowed'],
    ['https://httpbin.org/get', null],
    ['http://169.254.169.254/latest/meta-data', 'metadata_endpoint'],
    ['https://httpbin.org.evil.com', 'url_not_allowed'],
    ['https://httpbin.org@evil.com', 'url_userinfo'],
    ['http://2852039166/', 'metadata_endpoint'],
    ['http://[::ffff:169.254.169.254]/', 'metadata_endpoint'],
    ['http://0251.0376.0251.0376/', 'metadata_endpoint'],
  ])('fetch_url %s', async (url, rule) => {
    const r = await check(server, toolCall('fetch_url', { url }));
    if (rule === null) expect(r.allowed).toBe(true);
    else expect(r).toMatchObject({ allowed: false, status: 403, body: { error: 'policy_denied', rule } });
  });
});
