// Every guardrails example end to end: the real opa build of rego/, the example's data file, the real gRPC
// server. Wiring these depend on: URL facts and findings (input.mcp.urls / findings), input.now, and identity
// (a Bearer JWT verified against a local JWKS file, configured with identity.jwt.jwks_file).
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check as checkCli } from '../../src/cli/check.js';
import { httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'mcp-gateway';
let sign: (claims: Record<string, unknown>) => Promise<string>;
let configFile: string;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-examples-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  await writeFile(join(tmp, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  sign = (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  configFile = join(tmp, 'config.yaml');
  await writeFile(
    configFile,
    [
      'identity:',
      '  jwt:',
      '    enabled: true',
      `    jwks_file: ${join(tmp, 'jwks.json')}`,
      `    issuers: ["${ISSUER}"]`,
      `    audiences: [${AUDIENCE}]`,
    ].join('\n'),
  );
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const example = (name: string, file = 'data.yaml') => join(repoRoot, 'rego/examples', name, file);
const SUPPORT = 'spiffe://cluster.local/ns/agents/sa/support-agent';

async function check(server: TestServer, message: unknown, opts: { token?: string; principal?: string; headers?: Record<string, string> } = {}) {
  const req = mcpCheckRequest(message, { headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers } }) as any;
  req.attributes.source.principal = opts.principal ?? SUPPORT;
  const res = await server.client.check(req);
  const denied = res.denied_response;
  const headers = Object.fromEntries(((res.ok_response ?? denied)?.headers ?? []).map((h: any) => [h.header.key, h.header.value]));
  const md = res.dynamic_metadata?.fields ?? {};
  return {
    allowed: (res.status?.code ?? 0) === 0,
    status: denied ? httpStatus(denied.status) : 200,
    body: denied?.body ? JSON.parse(denied.body) : undefined,
    headers,
    removed: res.ok_response?.headers_to_remove ?? [],
    metadata: md,
    /** dynamic_metadata scalar fields as plain values. */
    meta: Object.fromEntries(Object.entries(md).map(([k, v]: [string, any]) => [k, v.boolValue ?? v.stringValue ?? v.numberValue])),
  };
}

/** `mcp-authz check --cases`, in process (the same pipeline as the server), against the pack in rego/. */
async function runCases(suite: string, data: string, identity = false, policy = join(repoRoot, 'rego')): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const argv = ['--policy', policy, '--data', data, '--cases', join(repoRoot, 'test/fixtures/cases', suite)];
  if (identity) argv.push('--config', join(repoRoot, 'test/fixtures/cases/payload-identity.config.yaml'));
  const code = await checkCli(argv, {}, sink as unknown as typeof process.stdout, sink as unknown as typeof process.stderr);
  return { code, out };
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

  it('support-agent may look up orders (prefixed or bare); delete_account is blocked', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    expect((await check(enforce, toolCall('customer-tools__lookup_order', { order_id: 'o1' }), { token })).allowed).toBe(true);
    expect((await check(enforce, toolCall('check_status', { order_id: 'o1' }), { token })).allowed).toBe(true);
    const del = await check(enforce, toolCall('customer-tools__delete_account', { customer_id: 'c-9' }), { token });
    expect(del).toMatchObject({
      allowed: false,
      status: 403,
      body: { error: 'policy_denied', rule: 'tool_not_allowed', message: `agent ${SUPPORT} may not call tool customer-tools__delete_account` },
    });
    expect(del.meta).toMatchObject({ mode: 'enforce', would_deny: false, rule: 'tool_not_allowed' });
  });

  it('an unknown agent is denied', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const r = await check(enforce, toolCall('customer-tools__lookup_order', {}), {
      token,
      principal: 'spiffe://cluster.local/ns/agents/sa/intruder',
    });
    expect(r.body).toMatchObject({
      rule: 'agent_unknown',
      message: 'agent spiffe://cluster.local/ns/agents/sa/intruder is not known to this policy',
    });
  });

  it('the short name support-agent covers only the trust domain and namespace agent_scopes lists', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    for (const principal of ['spiffe://cluster.local/ns/attacker/sa/support-agent', 'spiffe://evil.example/ns/agents/sa/support-agent']) {
      const r = await check(enforce, toolCall('customer-tools__lookup_order', { order_id: 'o1' }), { token, principal });
      expect(r.body, principal).toMatchObject({ rule: 'agent_unknown', message: `agent ${principal} is not known to this policy` });
    }
  });

  it('refunds: cap, reason, claims required and forwarded as headers, forged headers removed', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const ok = await check(enforce, toolCall('customer-tools__process_refund', { amount: 120, reason: 'damaged' }), {
      token,
      headers: { 'x-authz-claim-team': 'forged', 'x-processed-by': 'forged' },
    });
    expect(ok.allowed).toBe(true);
    expect(ok.headers).toMatchObject({
      'x-authz-claim-team': 'billing',
      'x-authz-claim-customer-id': 'c-9',
      'x-processed-by': 'billing',
      'x-mcp-authz-decision': 'allow',
    });

    const over = await check(enforce, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token });
    expect(over).toMatchObject({
      status: 403,
      body: { error: 'policy_denied', rule: 'max-refund-amount', message: 'Refund amount exceeds the $500 limit' },
    });
    expect(over.meta).toMatchObject({ mode: 'enforce', policy: 'refund-guardrails' });
    const asString = await check(enforce, toolCall('process_refund', { amount: '750', reason: 'x' }), { token });
    expect(asString.body.rule).toBe('max-refund-amount');
    const noReason = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: '' }), { token });
    expect(noReason.body).toMatchObject({ rule: 'require-reason', message: 'A reason is required for refund requests' });

    const noTeam = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: 'x' }), {
      token: await sign({ customer_id: 'c-9' }),
    });
    expect(noTeam).toMatchObject({ status: 403, body: { rule: 'required_claim:team', message: 'Team claim is required for refund operations' } });
    expect(noTeam.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    const anonymous = await check(enforce, toolCall('customer-tools__process_refund', { amount: 10, reason: 'x' }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);

    // Without a claim, the claim header is stripped, so a client cannot smuggle its own value in.
    const lookup = await check(enforce, toolCall('customer-tools__lookup_order', {}), {
      token: await sign({ team: 'billing' }),
      headers: { 'x-authz-claim-customer-id': 'forged' },
    });
    expect(lookup.allowed).toBe(true);
    expect(lookup.removed).toContain('x-authz-claim-customer-id');
    expect(lookup.headers['x-authz-claim-customer-id']).toBeUndefined();
  });

  it('claim header values are sanitised the same way in WebAssembly (host regex) as in opa test', async () => {
    const token = await sign({ team: ' bil\u2028ling\r\n\u0085 ', customer_id: ['c-9', 'x,y', { nested: 1 }, 42] });
    const r = await check(enforce, toolCall('customer-tools__lookup_order', {}), { token });
    expect(r.allowed).toBe(true);
    expect(r.headers).toMatchObject({ 'x-authz-claim-team': 'billing', 'x-authz-claim-customer-id': 'c-9,42' });
  });

  it('audit mode allows and logs wouldDeny; enforce mode denies', async () => {
    const token = await sign({ team: 'billing', customer_id: 'c-9' });
    const before = audit.decisions.length;
    const r = await check(audit, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token });
    expect(r.allowed).toBe(true);
    expect(r.meta).toMatchObject({
      mode: 'audit',
      would_deny: true,
      rule: 'max-refund-amount',
      message: 'Refund amount exceeds the $500 limit',
      policy: 'refund-guardrails',
    });
    await new Promise((res) => setTimeout(res, 50));
    const line = audit.decisions.slice(before).find((l) => l.msg === 'policy_decision')!;
    expect(line).toMatchObject({
      decision: 'allow',
      wouldDeny: true,
      mode: 'audit',
      rule: 'max-refund-amount',
      message: 'Refund amount exceeds the $500 limit',
      agent: SUPPORT,
    });

    // Access rules stay enforced in the audit file: only the refund rules are in audit mode.
    const del = await check(audit, toolCall('customer-tools__delete_account', {}), { token });
    expect(del.allowed).toBe(false);
    await new Promise((res) => setTimeout(res, 50));
    const denyLine = audit.decisions.filter((l) => l.msg === 'policy_decision').at(-1)!;
    expect(denyLine).toMatchObject({ decision: 'deny', wouldDeny: false, mode: 'enforce', rule: 'tool_not_allowed' });

    expect((await check(enforce, toolCall('customer-tools__process_refund', { amount: 750, reason: 'x' }), { token })).allowed).toBe(false);
  });

  it('regression cases (test/fixtures/cases/customer-service, identity from a payload header)', async () => {
    const r = await runCases('customer-service', example('customer-service', 'enforce/data.yaml'), true);
    expect(r.out).toMatch(/\b20 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});

describe('example: action-firewall', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('action-firewall')] });
  });
  afterAll(async () => server?.close());

  // Business hours depend on the clock: compute what the policy should answer, in New York, right before and
  // right after the request (input.now is the check time to the minute; the two differ only across an hour).
  const openAt = (d: Date) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      weekday: 'long',
      hour: 'numeric',
      hourCycle: 'h23',
    }).formatToParts(d);
    const weekday = parts.find((p) => p.type === 'weekday')!.value;
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    return !['Saturday', 'Sunday'].includes(weekday) && hour >= 9 && hour < 17;
  };

  it(`business hours (Monday-Friday 9-17 New York; open now: ${openAt(new Date())})`, async () => {
    const before = openAt(new Date());
    const r = await check(server, toolCall('http_proxy', { url: 'https://api.example.com/x', method: 'GET' }));
    const after = openAt(new Date());
    expect([before, after]).toContain(r.allowed);
    if (!r.allowed) {
      expect(r.body).toMatchObject({
        rule: 'business-hours',
        message: 'tool http_proxy may only be called Monday–Friday 09:00-17:00 America/New_York',
      });
    }
  });

  it('private network URLs, card numbers, SSNs and credentials are denied, whatever the time', async () => {
    for (const url of [
      'http://10.0.0.8/admin',
      'http://[::ffff:192.168.1.1]/',
      'http://3232235777/',
      'http://0x0a000001/',
      'http://localhost:5432/',
      'http://db.internal/',
    ]) {
      const r = await check(server, toolCall('http_proxy', { url }));
      expect(r.allowed, url).toBe(false);
      expect(['private_network_url', 'ambiguous_url', 'internal_hostname'], url).toContain(r.body.rule);
    }
    expect((await check(server, toolCall('create_payment', { note: 'card 4111 1111 1111 1111' }))).body.rule).toBe('no-card-or-ssn');
    expect((await check(server, toolCall('create_payment', { customer: { ssn: '123-45-6789' } }))).body.rule).toBe('no-card-or-ssn');
    expect(
      (await check(server, toolCall('http_proxy', { url: 'https://api.example.com/', headers: { 'x-key': 'AKIAIOSFODNN7EXAMPLE' } }))).body.rule,
    ).toBe('no-secrets');
  });

  it('payments above 10000 need approval, with a stable approval id; deny beats approval', async () => {
    // The same data without business hours, so approvals are checked at any time of the week.
    const doc = parse(await readFile(example('action-firewall'), 'utf8'));
    delete doc.mcp_authz.business_hours;
    const data = join(tmp, 'action-firewall-always-open.yaml');
    await writeFile(data, stringify(doc));
    const open247 = await startTestServer({ data: [data] });
    try {
      const stripe = (amount: unknown, id: number) =>
        toolCall('http_proxy', { url: 'https://api.stripe.com/v1/charges', body: { amount, currency: 'usd' } }, id);
      const a = await check(open247, stripe(50000, 1));
      expect(a).toMatchObject({
        allowed: false,
        status: 403,
        body: { error: 'approval_required', rule: 'large-payment', message: 'payments above 10000 require approval' },
      });
      expect(a.body.approval_id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(a.headers['x-mcp-authz-approval-id']).toBe(a.body.approval_id);
      expect(a.meta).toMatchObject({ mode: 'enforce', decision: 'require_approval', policy: 'financial-limits' });
      // The same call again (another JSON-RPC id, keys in another order): the same approval id.
      const b = await check(
        open247,
        toolCall('http_proxy', { body: { currency: 'usd', amount: 50000 }, url: 'https://api.stripe.com/v1/charges' }, 2),
      );
      expect(b.body.approval_id).toBe(a.body.approval_id);
      expect((await check(open247, stripe('50000', 3))).body.rule).toBe('large-payment');
      expect((await check(open247, stripe(500, 4))).allowed).toBe(true);
      const c = await check(open247, toolCall('create_payment', { amount: 20000 }));
      expect(c.body.rule).toBe('large-payment');
      expect(c.body.approval_id).not.toBe(a.body.approval_id);

      const both = await check(open247, toolCall('create_payment', { amount: 50000, ssn: '123-45-6789' }));
      expect(both.body).toMatchObject({ error: 'policy_denied', rule: 'no-card-or-ssn' });
      const rules = both.metadata.matched_rules.listValue.values.map((v: any) => v.stringValue);
      expect(rules).toEqual(['large-payment (enforce, require_approval)', 'no-card-or-ssn (enforce, deny)']);
    } finally {
      await open247.close();
    }
  });

  it('regression cases (test/fixtures/cases/action-firewall)', async () => {
    const r = await runCases('action-firewall', example('action-firewall'));
    expect(r.out).toMatch(/\b21 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});

describe('example: customer-db-roles', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('customer-db-roles')] }, configFile);
  });
  afterAll(async () => server?.close());

  it('internal_user reads non-PII fields; PII and writes are admin-only; unlisted tools are denied', async () => {
    const internal = await sign({ roles: ['internal_user'] });
    const admin = await sign({ roles: ['admin'] });
    expect(
      (await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: { name: true } }), { token: internal })).allowed,
    ).toBe(true);
    expect(
      (await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: ['name', 'email'] }), { token: internal })).body.rule,
    ).toBe('restricted_fields');
    expect(
      (await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001', fields: 'name,Phone' }), { token: internal })).body.rule,
    ).toBe('restricted_fields');
    expect(
      (
        await check(server, toolCall('CustomerDBTool__get_customer_details', { customer_id: 'CUST-001', fields: ['email', 'phone'] }), {
          token: admin,
        })
      ).allowed,
    ).toBe(true);
    expect(
      (await check(server, toolCall('update_customer_status', { customer_id: 'CUST-002', new_status: 'pending' }), { token: internal })).body.rule,
    ).toBe('role_not_allowed');
    expect(
      (await check(server, toolCall('update_customer_status', { customer_id: 'CUST-001', new_status: 'active' }), { token: admin })).allowed,
    ).toBe(true);
    expect((await check(server, toolCall('delete_customer', { customer_id: 'CUST-002' }), { token: internal })).body.rule).toBe('role_not_allowed');
    expect((await check(server, toolCall('delete_customer', { customer_id: 'CUST-002' }), { token: admin })).allowed).toBe(true);
    expect((await check(server, toolCall('drop_table', {}), { token: admin })).body).toMatchObject({
      rule: 'role_not_allowed',
      message: 'tool drop_table is not open to any role',
    });
    // No token: no roles.
    expect((await check(server, toolCall('get_customer_details', { customer_id: 'CUST-001' }))).body.rule).toBe('role_not_allowed');
  });

  it('regression cases (test/fixtures/cases/customer-db-roles, identity from a payload header)', async () => {
    const r = await runCases('customer-db-roles', example('customer-db-roles'), true);
    expect(r.out).toMatch(/\b12 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});

describe('example: mcp-gateway-demo', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ data: [example('mcp-gateway-demo')] });
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
    ['http://httpbin.org/get', 'url_not_allowed'],
    ['https://httpbin.org:8443/get', 'url_not_allowed'],
  ])('fetch_url %s', async (url, rule) => {
    const r = await check(server, toolCall('fetch_url', { url }));
    if (rule === null) {
      expect(r.allowed).toBe(true);
      expect(r.headers['x-mcp-authz-decision']).toBe('allow');
    } else {
      expect(r).toMatchObject({ allowed: false, status: 403, body: { error: 'policy_denied', rule } });
    }
  });

  it('the demo message text is unchanged', async () => {
    const r = await check(server, toolCall('fetch_url', { url: 'https://malicious.com' }));
    expect(r.body.message).toBe('URL https://malicious.com is not in the approved list for tool fetch_url');
  });

  it('regression cases (test/fixtures/cases/mcp-gateway-demo)', async () => {
    const r = await runCases('mcp-gateway-demo', example('mcp-gateway-demo'));
    expect(r.out).toMatch(/\b29 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});

describe('example: custom-rule (a team rule beside the pack)', () => {
  let server: TestServer;
  let policy: string;
  beforeAll(async () => {
    policy = join(tmp, 'custom-policy');
    await rm(policy, { recursive: true, force: true });
    await mkdir(policy);
    for (const f of await readdir(join(repoRoot, 'rego'))) if (f.endsWith('.rego')) await copyFile(join(repoRoot, 'rego', f), join(policy, f));
    await copyFile(example('custom-rule', 'blocked_cities.rego'), join(policy, 'blocked_cities.rego'));
    server = await startTestServer({ policy, data: [example('custom-rule')] });
  });
  afterAll(async () => server?.close());

  it('the custom rule denies with its own rule name; pack rules still apply', async () => {
    const r = await check(server, toolCall('get_weather', { city: 'Moscow' }));
    expect(r).toMatchObject({
      allowed: false,
      status: 403,
      body: { error: 'policy_denied', rule: 'city_blocked', message: 'weather lookups for Moscow are blocked' },
    });
    expect((await check(server, toolCall('get_weather', { city: 'Paris' }))).allowed).toBe(true);
    expect((await check(server, toolCall('get_weather', {}))).body.rule).toBe('city-required');
    expect((await check(server, toolCall('get_weather', { city: 'http://169.254.169.254/' }))).body.rule).toBe('metadata_endpoint');
  });

  it('regression cases (test/fixtures/cases/custom-rule)', async () => {
    const r = await runCases('custom-rule', example('custom-rule'), false, policy);
    expect(r.out).toMatch(/\b8 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});

describe('denial format: JSON-RPC errors', () => {
  let server: TestServer;
  beforeAll(async () => {
    const data = join(tmp, 'jsonrpc.yaml');
    await writeFile(data, 'mcp_authz:\n  denial_format: jsonrpc\n');
    server = await startTestServer({ data: [data] });
  });
  afterAll(async () => server?.close());

  it('answers HTTP 200 with a JSON-RPC error echoing the request id', async () => {
    const r = await check(server, toolCall('fetch_url', { url: 'https://malicious.com' }, 'abc-7'));
    expect(r.allowed).toBe(false);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({
      jsonrpc: '2.0',
      id: 'abc-7',
      error: {
        code: -32001,
        message: 'URL https://malicious.com is not in the approved list for tool fetch_url',
        data: { rule: 'url_not_allowed', decision: 'deny' },
      },
    });
  });

  it('a batch gets one error per request; malformed bodies stay HTTP errors', async () => {
    const batch = [
      toolCall('fetch_url', { url: 'https://malicious.com' }, 1),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      toolCall('fetch_url', { url: 'https://httpbin.org/get' }, 2),
    ];
    const r = await check(server, batch);
    expect(r.status).toBe(200);
    expect(r.body.map((e: any) => [e.id, e.error.code])).toEqual([
      [1, -32001],
      [2, -32001],
    ]);
    const bad = await check(server, '{"jsonrpc":"1.0","id":1,"method":"ping"}');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
  });
});
