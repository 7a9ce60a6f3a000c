import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile } from '../helpers/server.js';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanEnv, mainJs, runCliAsync, startCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/tools.js';

// Workers never outlive their primary (issue 22 §4): killed with SIGKILL, the primary cannot tell them anything,
// and each worker exits by itself when its IPC channel closes ('disconnect').

/** Pids whose parent is `ppid` (Linux /proc). */
function children(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids whose environment holds `ORPHAN_PROBE=<mark>`: a server and its workers, wherever they were reparented. */
function marked(mark: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(`ORPHAN_PROBE=${mark}`)) out.push(Number(e));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return out;
}

async function untilNone(mark: string, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (marked(mark).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = marked(mark);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  return left;
}

const ADDRS = ['--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('workers whose primary is gone', () => {
  it('exit by themselves after the primary is killed with SIGKILL', async () => {
    const s = await startCli(['--workers', '2']);
    const workers = children(s.child.pid!);
    expect(workers).toHaveLength(2);
    s.child.kill('SIGKILL');
    await s.stop();
    // Generous: a drain on a busy machine; they used to keep running until killed by pid.
    const deadline = Date.now() + 60_000;
    while (workers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = workers.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });

  it('a fatal startup error stops the primary and every worker it forked (the gRPC address taken)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const mark = randomUUID();
    try {
      const port = (taken.address() as { port: number }).port;
      const r = await runCliAsync(
        ['serve', '--workers', '2', '--grpc-addr', `127.0.0.1:${port}`, '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'],
        { ORPHAN_PROBE: mark },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('[address_in_use]');
      expect(await untilNone(mark, 30_000)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('SIGTERM to the primary while its workers start: it stops them and exits (the `timeout` of the report)', async () => {
    const mark = randomUUID();
    const child = spawn(process.execPath, [mainJs, 'serve', '--workers', '2', ...ADDRS], {
      cwd: repoRoot,
      env: cleanEnv({ ORPHAN_PROBE: mark, MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // As soon as both workers exist (they are still loading the policy and binding), before the startup line if we can.
    const deadline = Date.now() + 60_000;
    while (marked(mark).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const forked = marked(mark).filter((p) => p !== child.pid);
    expect(forked).toHaveLength(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
    expect(await untilNone(mark, 30_000)).toEqual([]);
  });

  it('a worker whose primary is killed finishes the checks it is answering before it exits (docs/workers.md)', async () => {
    // About 200 ms of evaluation per check; ten on one connection (one worker) queue on its evaluation thread.
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-orphan-drain-'));
    mkdirSync(join(dir, 'policy'));
    writeFileSync(
      join(dir, 'policy', 'policy.rego'),
      'package drain\n\nimport rego.v1\n\nr := numbers.range(1, 700)\n\nfound if {\n  some x in r\n  some y in r\n  x * y == 7\n  x > 7\n}\n\nallow if not found\n',
    );
    const { file } = await buildBundleFile(join(dir, 'policy'), 'drain/allow');
    const mark = randomUUID();
    const s = await startCli(['--workers', '2', '--bundle', file, '--entrypoint', 'drain/allow', '--shutdown-grace', '30'], { ORPHAN_PROBE: mark });
    const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition) as any;
    const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
    try {
      // A different URL each time: no cache hit, every check is evaluated.
      let n = 0;
      const check = () =>
        new Promise<{ ok: boolean; code?: number; err?: string }>((resolve) =>
          client.Check(mcpCheckRequest(toolCall('fetch_url', { url: `https://example.com/${n++}` })), (e: grpc.ServiceError | null, res: any) =>
            resolve(e ? { ok: false, err: `${e.code} ${e.details}` } : { ok: true, code: res.status?.code ?? 0 }),
          ),
        );
      expect(await check()).toEqual({ ok: true, code: 0 }); // connected to a worker, policy warm
      const inFlight = Array.from({ length: 10 }, () => check());
      await new Promise((r) => setTimeout(r, 300));
      s.child.kill('SIGKILL');
      const results = await Promise.all(inFlight);
      expect(results).toEqual(Array.from({ length: 10 }, () => ({ ok: true, code: 0 })));
      expect(await untilNone(mark, 60_000)).toEqual([]);
    } finally {
      client.close();
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
