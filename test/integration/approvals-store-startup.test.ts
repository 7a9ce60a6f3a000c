import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, mainJs, runCli, startCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/tools.js';

// Where approvals live is checked at startup (issue 22 §4): a SQLite path that cannot be created or written is a
// clean exit 2 naming approvals.sqlite.path and the OS's reason, before any worker exists (they used to spin at
// 90% CPU on /proc paths, or print a stack trace); unset, each server gets a private directory of its own.

const ADDRS = ['--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'];
const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-store-startup-'));
beforeAll(() => writeFileSync(join(tmp, 'regular-file'), 'not a directory\n'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectStoreError(r: { code: number | null; stderr: string; stdout: string }, ...parts: string[]): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mcp-authz: cannot start \[approvals_store_unavailable\]: /);
  expect(lines[0]).toContain('approvals.sqlite.path');
  for (const p of parts) expect(lines[0]).toContain(p);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('approvals.sqlite.path that cannot be used', () => {
  const cases: [string, () => string, string[]][] = [
    ['under /proc', () => '/proc/mcp-authz-nonexistent/approvals.db', ['/proc does not allow new entries (ENOENT)']],
    ['under a regular file', () => join(tmp, 'regular-file', 'x', 'approvals.db'), [`${join(tmp, 'regular-file')} is a file, not a directory`]],
    ['a regular file as its directory', () => join(tmp, 'regular-file', 'approvals.db'), ['is a file, not a directory']],
    ['a directory', () => tmp, ['it is a directory (EISDIR)']],
  ];
  for (const [name, path, parts] of cases) {
    for (const workers of ['1', '2']) {
      it(`${name}, --workers ${workers}: exit 2 naming the setting and the cause`, () => {
        const r = runCli(['serve', ...ADDRS, '--workers', workers, '--approvals-db', path()]);
        expectStoreError(r, `--approvals-db ${path()} (approvals.sqlite.path)`, ...parts, 'approvals.enabled: false');
      });
    }
  }

  it('set in the config file: the file and key are named', () => {
    const config = join(tmp, 'config.yaml');
    writeFileSync(config, 'approvals:\n  sqlite:\n    path: /proc/mcp-authz-nonexistent/approvals.db\n');
    const r = runCli(['serve', ...ADDRS, '--workers', '2', '--config', config]);
    expectStoreError(r, `${config}`, '/proc does not allow new entries');
  });

  it('an unwritable temp directory with the path unset names the default', () => {
    const r = runCli(['serve', ...ADDRS, '--workers', '1'], { TMPDIR: join(tmp, 'regular-file') });
    expectStoreError(r, 'approvals.sqlite.path (unset: a private directory under');
  });
});

describe('the default SQLite file is per server', () => {
  it('two servers get different private files, named in the startup line, removed at exit', async () => {
    const a = await startCli(['--workers', '2']);
    const b = await startCli(['--workers', '1']);
    try {
      const started = (s: typeof a) => JSON.parse(s.lines.find((l) => l.includes('"mcp-authz started"'))!);
      const [la, lb] = [started(a).approvals, started(b).approvals];
      expect(la.store).toBe('sqlite');
      expect(lb.store).toBe('sqlite');
      expect(la.location).toMatch(new RegExp(`^${tmpdir()}/mcp-authz-[^/]+/approvals\\.db$`));
      expect(lb.location).toMatch(new RegExp(`^${tmpdir()}/mcp-authz-[^/]+/approvals\\.db$`));
      expect(la.location).not.toBe(lb.location);
      expect(existsSync(la.location)).toBe(true);
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
      expect(existsSync(dirname(la.location))).toBe(false);
      expect(existsSync(dirname(lb.location))).toBe(false);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('approvals off: the startup line says so', async () => {
    const config = join(tmp, 'off.yaml');
    writeFileSync(config, 'approvals: {enabled: false}\n');
    const s = await startCli(['--workers', '1', '--config', config]);
    try {
      expect(JSON.parse(s.lines.find((l) => l.includes('"mcp-authz started"'))!).approvals).toBe('off');
    } finally {
      await s.stop();
    }
  });
});

describe('two workers on a fresh SQLite file', () => {
  it('start every time (no "database is locked")', async () => {
    for (let i = 0; i < 5; i++) {
      const db = join(tmp, `fresh-${i}`, 'approvals.db');
      const s = await startCli(['--workers', '2', '--approvals-db', db]);
      expect(await s.stop()).toBe(0);
    }
  });
});

describe('every port is bound before any serves', () => {
  let taken: Server;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  const answers = (port: number) =>
    new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });

  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: with the HTTP port taken, the gRPC port never answers; one clean error`, async () => {
      const grpcPort = await freePort();
      const httpAddr = `127.0.0.1:${(taken.address() as { port: number }).port}`;
      const child = spawn(
        process.execPath,
        [mainJs, 'serve', '--workers', workers, '--grpc-addr', `127.0.0.1:${grpcPort}`, '--http-addr', httpAddr, '--admin-addr', '127.0.0.1:0'],
        { cwd: repoRoot, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let done = false;
      void exited.then(() => (done = true));
      let answered = false;
      while (!done) {
        if (await answers(grpcPort)) answered = true;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await exited).toBe(2);
      expect(answered).toBe(false);
      expect(stderr).toBe(
        `mcp-authz: cannot start [address_in_use]: --http-addr ${httpAddr}: address already in use (another process listens there; stop it or choose another port)\n`,
      );
    });
  }

  it('the gRPC port taken: no grpc-js line before the error', () => {
    const r = runCli([
      'serve',
      '--workers',
      '1',
      '--grpc-addr',
      `127.0.0.1:${(taken.address() as { port: number }).port}`,
      '--http-addr',
      '127.0.0.1:0',
      '--admin-addr',
      '127.0.0.1:0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mcp-authz: cannot start \[address_in_use\]: --grpc-addr [^\n]*\n$/);
  });
});
