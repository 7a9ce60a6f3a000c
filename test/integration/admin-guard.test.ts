// The admin address's guard on a real server: DNS-rebinding refusal on a loopback bind, CSRF checks on
// state-changing requests, optional bearer and basic authentication (the basic user is the recorded approver).
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFirewallAlwaysOpen, approvalsCli, check, payment } from '../helpers/approvals.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'a-long-enough-admin-token';
let tmp: string;
let open: TestServer;
let bearer: TestServer;
let basic: TestServer;

/** A raw request, so Host, Origin and Sec-Fetch-Site can be set as a browser (or an attacker's page) would. */
function raw(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.app.admin.port,
        method,
        path,
        headers: { ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-guard-'));
  const data = await actionFirewallAlwaysOpen(tmp);
  const bearerCfg = join(tmp, 'bearer.yaml');
  await writeFile(bearerCfg, `admin_auth: {bearer_token: ${TOKEN}}\n`);
  await writeFile(join(tmp, 'password'), 'correct horse battery\n');
  const basicCfg = join(tmp, 'basic.yaml');
  await writeFile(basicCfg, `admin_auth: {basic_username: alice, basic_password_file: ${join(tmp, 'password')}}\n`);
  [open, bearer, basic] = await Promise.all([
    startTestServer({ data: [data] }),
    startTestServer({ data: [data] }, bearerCfg),
    startTestServer({ data: [data] }, basicCfg),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), bearer?.close(), basic?.close()]);
  await rm(tmp, { recursive: true, force: true });
});

describe('admin address guard', () => {
  it('refuses a non-loopback Host on a loopback bind (DNS rebinding)', async () => {
    expect((await raw(open, 'GET', '/v1/approvals', { host: 'evil.example:8282' })).status).toBe(403);
    expect((await raw(open, 'GET', '/v1/approvals', { host: `localhost:${open.app.admin.port}` })).status).toBe(200);
    expect((await raw(open, 'GET', '/v1/approvals', { host: `[::1]:${open.app.admin.port}` })).status).toBe(200);
  });

  it('refuses cross-site state changes, and JSON bodies sent as something else', async () => {
    const host = `127.0.0.1:${open.app.admin.port}`;
    const body = JSON.stringify({ revision: 'x' });
    const json = { host, 'content-type': 'application/json' };
    expect((await raw(open, 'POST', '/v1/policies/rollback', { ...json, origin: 'https://evil.example' }, body)).body).toContain('csrf_rejected');
    expect((await raw(open, 'POST', '/v1/policies/rollback', { ...json, origin: 'null' }, body)).status).toBe(403);
    expect((await raw(open, 'POST', '/v1/policies/rollback', { ...json, 'sec-fetch-site': 'cross-site' }, body)).status).toBe(403);
    expect((await raw(open, 'POST', '/v1/policies/rollback', { host, 'content-type': 'text/plain', origin: `http://${host}` }, body)).status).toBe(
      415,
    );
    // Same origin (the console), and clients that are not browsers (the CLI): through to the route.
    expect(
      (await raw(open, 'POST', '/v1/policies/rollback', { ...json, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' }, body)).status,
    ).toBe(404);
    expect((await raw(open, 'POST', '/v1/policies/rollback', json, body)).status).toBe(404);
    expect((await raw(open, 'POST', '/v1/policies/rollback', { host }, body)).status).toBe(404);
  });

  it('bearer: the API needs the token; the console shell loads without it (it asks for the token)', async () => {
    const host = `127.0.0.1:${bearer.app.admin.port}`;
    const denied = await raw(bearer, 'GET', '/v1/approvals', { host });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await raw(bearer, 'GET', '/v1/approvals', { host, authorization: 'Bearer wrong-token-of-some-length' })).status).toBe(401);
    expect((await raw(bearer, 'GET', '/v1/approvals', { host, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await raw(bearer, 'GET', '/console/', { host })).status).toBe(200);
    expect((await raw(bearer, 'GET', '/v1/decisions', { host })).status).toBe(401);
    const id = (await check(bearer, payment(50000))).body.approval_id;
    expect((await approvalsCli(bearer, ['approve', id])).code).toBe(1);
    expect((await approvalsCli(bearer, ['approve', id, '--by', 'ops'], { MCP_AUTHZ_ADMIN_TOKEN: TOKEN })).code).toBe(0);
  });

  it('basic: everything needs credentials, and the authenticated user is the approver', async () => {
    const host = `127.0.0.1:${basic.app.admin.port}`;
    const denied = await raw(basic, 'GET', '/console/', { host });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Basic realm="mcp-authz"/);
    const id = (await check(basic, payment(50000))).body.approval_id;
    const env = { MCP_AUTHZ_ADMIN_USER: 'alice', MCP_AUTHZ_ADMIN_PASSWORD: 'correct horse battery' };
    expect((await approvalsCli(basic, ['approve', id, '--by', 'mallory'], { ...env, MCP_AUTHZ_ADMIN_PASSWORD: 'wrong' })).code).toBe(1);
    const ok = await approvalsCli(basic, ['approve', id, '--by', 'mallory', '--json'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).approval.decided_by).toBe('alice');
  });

  it('serves the console with a strict content security policy', async () => {
    const res = await raw(open, 'GET', '/console/', { host: `127.0.0.1:${open.app.admin.port}` });
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await raw(open, 'GET', '/console/vendor/preact.mjs', { host: `127.0.0.1:${open.app.admin.port}` })).status).toBe(200);
    expect((await raw(open, 'GET', '/console/app/..%2Fmain.js', { host: `127.0.0.1:${open.app.admin.port}` })).status).toBe(404);
  });
});
