// README.md's five-minute tour, run as written: its shell blocks are read from the README and run by bash in a
// scratch directory (write and test the policy, serve it, change it while it serves, then step 6: a tighter policy
// shadowed, checked over gRPC with grpcurl, reported and promoted). The one change to the text is the addresses:
// the server listens on ports the system picks, so `127.0.0.1:9191` becomes its gRPC port and the `policy`
// commands get MCP_AUTHZ_ADMIN_ADDR (the tour's own advice when the default ports are taken).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/cli.js';
import { repoRoot } from '../helpers/tools.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const sections = readme.split(/^\*\*(?=\d+\. )/m);
/** The shell blocks of the tour's step N, in order. */
const blocks = (n: number) => {
  const section = sections.find((s) => s.startsWith(`${n}. `));
  if (!section) throw new Error(`README.md has no tour step ${n}`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
};

// mcp-authz (bin/), opa and grpcurl (.tools/bin) and this Node first on PATH, as `. scripts/env.sh` sets it.
const PATH = [join(repoRoot, 'bin'), join(repoRoot, '.tools', 'bin'), dirname(process.execPath), process.env.PATH].join(':');

describe('README tour, run as written', () => {
  let dir: string;
  let server: ChildProcess;
  let grpcPort: number;
  let adminPort: number;
  const bash = (script: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const withPorts = script.replaceAll('127.0.0.1:9191', `127.0.0.1:${grpcPort}`);
      execFile(
        'bash',
        ['-c', withPorts],
        { cwd: dir, env: cleanEnv({ PATH, MCP_AUTHZ_ADMIN_ADDR: `127.0.0.1:${adminPort}` }), timeout: 120_000 },
        (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const revisions = async () =>
    ((await (await fetch(`http://127.0.0.1:${adminPort}/v1/policies`)).json()) as { revisions: { revision: string; active: boolean }[] }).revisions;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-authz-tour-'));
    grpcPort = 0;
    adminPort = 0;
    // Steps 1 and 2: write the policy, unit-test it with opa.
    const written = await bash([...blocks(1), ...blocks(2)].join('\n'));
    expect(written.stdout + written.stderr).toContain('PASS: 2/2');
    // Step 4: serve it (on ports the system picks).
    const [serve] = blocks(4);
    expect(serve!.trim()).toBe('mcp-authz serve --policy tour/policy --entrypoint tour/decision');
    server = spawn('bash', ['-c', `exec ${serve!.trim()} --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0`], {
      cwd: dir,
      env: cleanEnv({ PATH, MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = await new Promise<Record<string, any>>((resolve, reject) => {
      let buf = '';
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`the tour's server did not start: ${stderr}`)), 60_000);
      server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      server.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n')) {
          if (!line.includes('"mcp-authz started"')) continue;
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      server.on('exit', (code) => reject(new Error(`the tour's server exited with ${code}: ${stderr}`)));
    });
    grpcPort = started.grpc_port;
    adminPort = started.admin_port;
  }, 180_000);
  afterAll(async () => {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((r) => server.on('exit', r));
    await rm(dir, { recursive: true, force: true });
  });

  it('step 5: a save while it serves is a new revision', async () => {
    const [change] = blocks(5);
    const sed = change!.split('\n')[0]!;
    expect(sed).toMatch(/^sed -i /);
    expect((await bash(sed)).code).toBe(0);
    const end = Date.now() + 60_000;
    while ((await revisions()).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect((await revisions()).length).toBe(2);
  }, 90_000);

  it('step 6: the tighter policy shadows the checks, its report shows what it would deny, promote makes it active', async () => {
    const before = (await revisions()).find((r) => r.active)!.revision;
    const [shadow] = blocks(6);
    const run = await bash(shadow!);
    expect(run.stderr).toBe('');
    const out = run.stdout;
    // Loaded as the candidate, beside the active revision.
    expect(out).toMatch(new RegExp(`^active ${before}\\ncandidate sha256:[0-9a-f]{12} \\(from ${dir}/tour/policy-next, `, 'm'));
    const candidate = /^candidate (sha256:[0-9a-f]{12})/m.exec(out)![1]!;
    // Three calls over gRPC, all allowed by the active revision (grpcurl prints each answer).
    expect(out.match(/"okResponse"/g)?.length).toBe(3);
    expect(out).not.toContain('"deniedResponse"');
    // The report: two forecasts the candidate would deny, nothing else.
    expect(out).toContain('checks 3, differences 2');
    expect(out).toMatch(/^allow_to_deny\s+get_forecast\s+tool_not_allowed\s+2$/m);
    expect(out.match(/tools\/call get_forecast: active allow \[allowed\] → candidate deny \(tool_not_allowed\)/g)?.length).toBe(2);
    // Promoted: live answers are the candidate's, and the old revision is kept for rollback.
    expect(out).toContain(`promoted: active ${candidate} (checks 3, differences 2)`);
    const after = await revisions();
    expect(after.find((r) => r.active)!.revision).toBe(candidate);
    expect(after.map((r) => r.revision)).toContain(before);
    const call = shadow!.slice(shadow!.indexOf('call() {'), shadow!.indexOf('\n}\n') + 3);
    const denied = await bash(`${call}\ncall get_forecast Rome; call get_weather Rome`);
    expect(denied.stdout).toContain('"message": "policy_denied (tool_not_allowed)"');
    expect(denied.stdout.match(/"okResponse"/g)?.length).toBe(1);
  }, 120_000);
});
