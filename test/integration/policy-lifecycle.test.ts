import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const example = mcpCheckRequest(toolCall('fetch_url', { url: 'https://example.com/' }));
const httpbin = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
const code = (r: any): number => r.status?.code ?? 0;

async function until(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('policy lifecycle: hot reload, last good policy, revisions and rollback', () => {
  let tmp: string;
  let server: TestServer;
  let dataFile: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-life-'));
    await cp(join(repoRoot, 'rego'), join(tmp, 'rego'), { recursive: true });
    dataFile = join(tmp, 'data.json');
    await writeFile(dataFile, JSON.stringify({ mcp_authz: { approved_hosts: ['httpbin.org'] } }));
    server = await startTestServer({ policy: join(tmp, 'rego'), data: [dataFile] });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('serves the initial policy', async () => {
    expect(code(await server.client.check(httpbin))).toBe(0);
    expect(code(await server.client.check(example))).toBe(7);
  });

  it('reloads when a data file changes', async () => {
    const before = server.app.policy()!.dataSha256;
    await writeFile(dataFile, JSON.stringify({ mcp_authz: { approved_hosts: ['example.com'] } }));
    await until(async () => code(await server.client.check(example)) === 0, 'the new data to take effect');
    expect(code(await server.client.check(httpbin))).toBe(7);
    expect(server.app.policy()!.dataSha256).not.toBe(before);
  });

  it('keeps the last good policy when the Rego breaks, and says so', async () => {
    const good = server.app.policy()!;
    await writeFile(join(tmp, 'rego', 'broken.rego'), 'package mcp.authz\nthis is not rego\n');
    const ok = await server.app.reloader.reload('test');
    expect(ok).toBe(false);
    expect(server.app.policy()).toBe(good);
    expect(code(await server.client.check(example))).toBe(0);
    expect(await server.client.health()).toBe('SERVING');
    // The failed reload is shown until one succeeds, with what kept serving.
    const list = await runCliAsync(['policy', 'list', '--admin-addr', `127.0.0.1:${server.app.admin.port}`]);
    expect(list.stdout).toMatch(/last reload FAILED at \S+ \((?:test|file change)\): opa build failed[\s\S]*broken\.rego:2: rego_parse_error/);
    expect(list.stdout).toContain(`still serving ${good.revision}`);
    await rm(join(tmp, 'rego', 'broken.rego'));
  });

  it('lists revisions and rolls back through the admin API and the CLI', async () => {
    const addr = `127.0.0.1:${server.app.admin.port}`;
    const list = await runCliAsync(['policy', 'list', '--admin-addr', addr]);
    expect(list.code).toBe(0);
    const rows = list.stdout.trim().split('\n').slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatch(/^\*/);

    const revisions = server.app.store.list();
    const previous = revisions.find((r) => !r.active)!;
    const rollback = await runCliAsync(['policy', 'rollback', previous.data_sha256.slice(0, 12), '--admin-addr', addr]);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout.trim()).toBe(`rolled back: active ${previous.revision} (sha256 ${previous.sha256.slice(0, 12)})`);
    expect(server.app.policy()!.dataSha256).toBe(previous.data_sha256);
    expect((await runCliAsync(['policy', 'list', '--admin-addr', addr])).stdout).not.toContain('FAILED');
    expect(code(await server.client.check(httpbin))).toBe(0);
    expect(code(await server.client.check(example))).toBe(7);

    const missing = await fetch(`http://${addr}/v1/policies/rollback`, { method: 'POST', body: JSON.stringify({ revision: 'nope' }) });
    expect(missing.status).toBe(404);
  });

  it('reloads on SIGHUP', async () => {
    await writeFile(dataFile, JSON.stringify({ mcp_authz: { approved_hosts: ['httpbin.org', 'example.com'] } }));
    process.emit('SIGHUP');
    await until(async () => code(await server.client.check(example)) === 0 && code(await server.client.check(httpbin)) === 0, 'SIGHUP reload');
  });
});
