import * as grpc from '@grpc/grpc-js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { runCliAsync, startCli, type RunningServer } from '../helpers/cli.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';

// `serve --workers 2`: a real cluster (a primary and two worker processes) on 127.0.0.1:0, over gRPC.

const httpbin = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
const example = mcpCheckRequest(toolCall('fetch_url', { url: 'https://example.com/' }));
const { packageDefinition } = loadDescriptors();
const pkg = grpc.loadPackageDefinition(packageDefinition) as any;

/** One Check on a NEW HTTP/2 connection (no shared subchannel), so the cluster hands it to the next worker. */
function checkOnNewConnection(port: number, request: unknown): Promise<number> {
  const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  return new Promise<number>((resolve, reject) =>
    client.Check(request, (err: Error | null, res: any) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status?.code ?? 0);
    }),
  );
}

/** The decisions of `connections` fresh connections for `request` (0 = allow, 7 = deny). */
async function decisions(port: number, request: unknown, connections = 6): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < connections; i++) out.push(await checkOnNewConnection(port, request));
  return out;
}

/** PIDs of a process's children (the cluster's workers), from /proc. */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sum of every series of a metric in Prometheus text. */
function metricSum(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

describe('serve --workers 2 (node:cluster)', () => {
  let tmp: string;
  let dataFile: string;
  let server: RunningServer;
  let adminPort: number;
  let workerPids: number[];
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
  const admin = (path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${adminPort}${path}`, {
      method: body === undefined && path === '/v1/policies' ? 'GET' : 'POST',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-cluster-'));
    await cp(join(repoRoot, 'rego'), join(tmp, 'rego'), { recursive: true });
    dataFile = join(tmp, 'data.json');
    await writeFile(dataFile, JSON.stringify({ mcp_authz: { approved_hosts: ['httpbin.org'] } }));
    // File watching off: every reload in this test is an explicit admin call.
    await writeFile(join(tmp, 'config.yaml'), 'policy:\n  watch: false\n');
    server = await startCli(['--workers', '2', '--policy', join(tmp, 'rego'), '--data', dataFile, '--config', join(tmp, 'config.yaml')]);
    const started = server.lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'mcp-authz started');
    adminPort = started.admin_port;
    expect(started.workers).toBe(2);
    workerPids = children(server.child.pid!);
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  it('serves one shared gRPC port (bound as 127.0.0.1:0) from two worker processes', async () => {
    expect(workerPids).toHaveLength(2);
    expect(server.grpcPort).toBeGreaterThan(0);
    expect(await decisions(server.grpcPort, httpbin)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await decisions(server.grpcPort, example)).toEqual([7, 7, 7, 7, 7, 7]);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status).toBe(200);
  });

  it('starts every worker with a 4 MB young generation (src/server/worker-flags.ts)', () => {
    for (const pid of workerPids) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=4');
  });

  it('aggregates every worker into /metrics', async () => {
    const text = await metrics();
    // 12 checks answered by two processes, counted once each in the aggregate.
    expect(metricSum(text, 'mcp_authz_checks_total')).toBe(12);
    expect(metricSum(text, 'mcp_authz_checks_total', 'decision="deny"')).toBe(6);
    expect(metricSum(text, 'mcp_authz_workers', 'state="desired"')).toBe(2);
    expect(metricSum(text, 'mcp_authz_workers', 'state="ready"')).toBe(2);
    expect(metricSum(text, 'mcp_authz_worker_restarts_total')).toBe(0);
    // The policy is the primary's: one series, not one per worker.
    expect(text.split('\n').filter((l) => l.startsWith('mcp_authz_policy_info{'))).toHaveLength(1);
    expect(metricSum(text, 'mcp_authz_policy_info')).toBe(1);
  });

  it('reloads every worker through the admin API', async () => {
    await writeFile(dataFile, JSON.stringify({ mcp_authz: { approved_hosts: ['example.com'] } }));
    const res = await admin('/v1/policies/reload', {});
    expect(res.status).toBe(200);
    expect(await decisions(server.grpcPort, example)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await decisions(server.grpcPort, httpbin)).toEqual([7, 7, 7, 7, 7, 7]);
    const list = (await (await admin('/v1/policies')).json()) as { revisions: { active: boolean }[] };
    expect(list.revisions).toHaveLength(2);
  });

  it('refuses a broken policy once, and every worker keeps the last good one', async () => {
    await writeFile(join(tmp, 'rego', 'broken.rego'), 'package mcp.authz\nthis is not rego\n');
    const res = await admin('/v1/policies/reload', {});
    expect(res.status).toBe(500);
    expect(await decisions(server.grpcPort, example)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(metricSum(await metrics(), 'mcp_authz_policy_reloads_total', 'result="failure"')).toBe(1);
    await rm(join(tmp, 'rego', 'broken.rego'));
  });

  it('rolls back every worker', async () => {
    const list = (await (await admin('/v1/policies')).json()) as { revisions: { active: boolean; data_sha256: string }[] };
    const previous = list.revisions.find((r) => !r.active)!;
    const res = await admin('/v1/policies/rollback', { revision: previous.data_sha256.slice(0, 12) });
    expect(res.status).toBe(200);
    expect(await decisions(server.grpcPort, httpbin)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await decisions(server.grpcPort, example)).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('reloads every worker on SIGHUP to the primary (a worker ignores its own)', async () => {
    // The data file still approves example.com only (the rollback restored the older revision).
    process.kill(server.child.pid!, 'SIGHUP');
    await until(async () => (await decisions(server.grpcPort, example, 4)).every((c) => c === 0), 'the SIGHUP reload on every worker');
    expect(await decisions(server.grpcPort, httpbin)).toEqual([7, 7, 7, 7, 7, 7]);
    for (const pid of workerPids) process.kill(pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect(children(server.child.pid!).sort()).toEqual([...workerPids].sort());
  });

  it('restarts a worker that dies, logs and counts it, and the new one serves the active revision', async () => {
    const victim = workerPids[0]!;
    process.kill(victim, 'SIGKILL');
    await until(() => server.lines.some((l) => l.includes('"msg":"worker died; restarting it"')), 'the death to be logged');
    await until(async () => metricSum(await metrics(), 'mcp_authz_workers', 'state="ready"') === 2, 'a replacement worker');
    const now = children(server.child.pid!);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(victim);
    const died = JSON.parse(server.lines.find((l) => l.includes('"msg":"worker died; restarting it"'))!);
    expect(died).toMatchObject({ level: 'error', pid: victim, signal: 'SIGKILL' });
    expect(metricSum(await metrics(), 'mcp_authz_worker_restarts_total')).toBe(1);
    // The replacement serves the active revision (the SIGHUP reload), not the one the server started with.
    expect(await decisions(server.grpcPort, example, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await decisions(server.grpcPort, httpbin, 8)).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    workerPids = now;
  });

  it('drains and stops every worker on SIGTERM', async () => {
    const code = await server.stop('SIGTERM');
    expect(code).toBe(0);
    const stopped = server.lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'stopped');
    expect(stopped).toMatchObject({ drained: true });
    for (const pid of workerPids) expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});

describe('serve --workers 1', () => {
  it('keeps the single-process server: no worker processes, the same answers', async () => {
    const server = await startCli(['--workers', '1']);
    try {
      expect(children(server.child.pid!)).toEqual([]);
      expect(await checkOnNewConnection(server.grpcPort, httpbin)).toBe(0);
      expect(await checkOnNewConnection(server.grpcPort, example)).toBe(7);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});

describe('serve --workers 2 that cannot start', () => {
  it('exits 2 with the same startup error as one process when the gRPC address is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCliAsync([
        'serve',
        '--workers',
        '2',
        '--grpc-addr',
        `127.0.0.1:${port}`,
        '--http-addr',
        '127.0.0.1:0',
        '--admin-addr',
        '127.0.0.1:0',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot start [address_in_use]: --grpc-addr 127.0.0.1:${port}: address already in use`);
    } finally {
      blocker.close();
    }
  });
});
