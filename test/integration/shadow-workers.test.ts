import * as grpc from '@grpc/grpc-js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { startCli, type RunningServer } from '../helpers/cli.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

// `serve --workers 2` with a shadow candidate: every worker shadows it, the primary's report combines them.

const policy = (hosts: string[]) => `package shadowtest
import rego.v1
default decision := {"allowed": false, "http_status": 403, "rule": "url_not_allowed"}
decision := {"allowed": true} if {
	some prefix in {${hosts.map((h) => JSON.stringify(h)).join(', ')}}
	startswith(input.mcp.arguments.url, prefix)
}
`;
const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition) as any;

/** One Check on a new connection, so the cluster hands it to the next worker. */
function check(port: number, url: string): Promise<number> {
  const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  return new Promise<number>((resolve, reject) =>
    client.Check(mcpCheckRequest(toolCall('fetch_url', { url })), (err: Error | null, res: any) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status?.code ?? 0);
    }),
  );
}

describe('shadow evaluation with --workers 2', () => {
  let tmp: string;
  let server: RunningServer;
  let admin: string;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${admin}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const get = async (path: string) => (await (await fetch(`${admin}${path}`)).json()) as any;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-shadow-workers-'));
    for (const [name, hosts] of [
      ['active', ['https://httpbin.org/', 'https://example.com/']],
      ['tight', ['https://httpbin.org/']],
    ] as const) {
      await mkdir(join(tmp, name));
      await writeFile(join(tmp, name, 'authz.rego'), policy([...hosts]));
    }
    await mkdir(join(tmp, 'broken'));
    await writeFile(join(tmp, 'broken', 'authz.rego'), 'package shadowtest\ndecision := {\n');
    await writeFile(join(tmp, 'config.yaml'), 'policy:\n  watch: false\n');
    server = await startCli([
      '--workers',
      '2',
      '--policy',
      join(tmp, 'active'),
      '--entrypoint',
      'shadowtest/decision',
      '--config',
      join(tmp, 'config.yaml'),
    ]);
    const started = server.lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'mcp-authz started');
    admin = `http://127.0.0.1:${started.admin_port}/v1/policies`;
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a broken candidate in the primary with opa file:line', async () => {
    const r = await post('/shadow', { path: join(tmp, 'broken'), by: 'alice' });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/authz\.rego:\d+/);
  });

  it('every worker shadows the same candidate and the primary combines their differences', async () => {
    const loaded = await post('/shadow', { path: join(tmp, 'tight'), by: 'alice' });
    expect(loaded.status).toBe(200);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push(await check(server.grpcPort, `https://example.com/w${i}`));
    for (let i = 0; i < 4; i++) answers.push(await check(server.grpcPort, `https://httpbin.org/w${i}`));
    expect(answers).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Checks on new connections alternate between the two workers: 10 shadowed in all only if both shadow.
    let report: any;
    const end = Date.now() + 30_000;
    do {
      report = await get('/shadow/report');
      if (report.checks === 10) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < end);
    expect(report).toMatchObject({ checks: 10, differences: 6, by_kind: { allow_to_deny: 6 } });
    expect(report.groups).toEqual([{ kind: 'allow_to_deny', tool: 'fetch_url', rule: 'url_not_allowed', count: 6 }]);
    expect(report.recent.map((d: any) => d.input.mcp.arguments.url).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `https://example.com/w${i}`));
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(text).toMatch(/^mcp_authz_shadow_checks_total 10$/m);
    expect(text).toMatch(/^mcp_authz_shadow_differences_total\{kind="allow_to_deny"\} 6$/m);
    // Each difference has the pid of the worker that found it: both workers' are there.
    expect(new Set(report.recent.map((d: any) => d.worker)).size).toBe(2);
    // ?limit=N: each worker sends at most N differences, the combined report the newest N; the counts stay whole.
    const limited = await get('/shadow/report?limit=2');
    expect(limited).toMatchObject({ checks: 10, differences: 6, groups: report.groups });
    expect(limited.recent).toEqual(report.recent.slice(0, 2));
    expect((await get('/shadow')).recent).toBeUndefined();

    // The primary's console playground checks a request against the candidate it loaded, and the active revision.
    const body = JSON.stringify(toolCall('fetch_url', { url: 'https://example.com/playground' }));
    const playground = async (extra: Record<string, unknown>) =>
      (await (
        await fetch(`${admin.replace('/v1/policies', '')}/v1/playground/check`, { method: 'POST', body: JSON.stringify({ body, ...extra }) })
      ).json()) as any;
    expect(await playground({ candidate: true })).toMatchObject({
      decision: 'deny',
      rule: 'url_not_allowed',
      policy: { revision: loaded.body.candidate.revision },
    });
    expect(await playground({})).toMatchObject({ decision: 'allow', policy: { revision: loaded.body.active } });
  });

  it('promote activates the candidate on every worker (two-phase) and keeps the old revision', async () => {
    const promoted = await post('/shadow/promote', { by: 'carol' });
    expect(promoted.status).toBe(200);
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) answers.push(await check(server.grpcPort, `https://example.com/after${i}`));
    expect(answers).toEqual([7, 7, 7, 7]);
    const list = await get('');
    expect(list.revisions.map((r: any) => r.active)).toEqual([true, false]);
    expect(list.revisions[0].revision).toBe(promoted.body.active);
    expect((await get('/shadow')).candidate).toBeNull();
    expect(server.lines.some((l) => l.includes('"policy activated"') && l.includes('"by":"carol"'))).toBe(true);
  });

  it('discard stops shadowing on every worker', async () => {
    await post('/shadow', { path: join(tmp, 'active'), by: 'dave' });
    expect((await post('/shadow/discard', { by: 'dave' })).status).toBe(200);
    for (let i = 0; i < 4; i++) await check(server.grpcPort, `https://example.com/gone${i}`);
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(text).toMatch(/^mcp_authz_shadow_checks_total 10$/m);
    expect(await get('/shadow')).toMatchObject({ candidate: null, checks: 0 });
  });
});
