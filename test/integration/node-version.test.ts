import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_NODE, unsupportedNode } from '../../src/shared/node-version.js';
import { cleanEnv, mainJs } from '../helpers/cli.js';
import { repoRoot } from '../helpers/tools.js';

const ADDRS = ['--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'];
const COMMANDS: Record<string, string[]> = {
  'serve (default workers)': ['serve', ...ADDRS],
  'serve --workers 1': ['serve', '--workers', '1', ...ADDRS],
  'serve --workers 2': ['serve', '--workers', '2', ...ADDRS],
  check: ['check', '--body', 'nope.json'],
  approvals: ['approvals', 'list'],
};

/** Run dist/main.js with `node`, extra node flags first; a server that started would be stopped by the timeout. */
function run(node: string, nodeFlags: string[], args: string[]) {
  const r = spawnSync(node, [...nodeFlags, mainJs, ...args], { cwd: repoRoot, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A preload that makes this Node.js report another version, as an older one would. */
const pretend = (version: string): string[] => [
  '--import',
  `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'${version}'})`,
];

function expectRefused(r: ReturnType<typeof run>, version: string): void {
  expect(r.signal).toBeNull(); // exited by itself, no hang
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`needs Node.js >= ${MIN_NODE.major}.${MIN_NODE.minor}, but this is Node.js ${version}`);
  expect(lines[0]).toContain('. scripts/env.sh');
  expect(r.stderr).not.toMatch(/ERR_UNKNOWN_BUILTIN_MODULE|node:sqlite|\n\s+at /);
}

describe('the Node.js version is checked before anything that needs Node 24 loads', () => {
  it('unsupportedNode: supported from MIN_NODE on, the same minimum as package.json engines', () => {
    const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${MIN_NODE.major}.${MIN_NODE.minor}`);
    for (const v of ['24.11.0', '24.22.3', '25.0.0', '30.1.2']) expect(unsupportedNode(v, '/x/node')).toBeNull();
    for (const v of ['24.10.9', '22.12.0', '20.20.2', '18.0.0'])
      expect(unsupportedNode(v, '/x/node')).toMatch(new RegExp(`this is Node\\.js ${v.replace(/\./g, '\\.')} \\(/x/node\\)`));
  });

  it('src/main.ts statically imports only the version check, which imports nothing', () => {
    const imports = (file: string) => [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports('src/main.ts')).toEqual(['./shared/node-version.js']);
    expect(imports('src/shared/node-version.ts')).toEqual([]);
  });

  for (const [name, args] of Object.entries(COMMANDS)) {
    it(`${name} under a Node.js that reports 20.20.2: one line naming the fix, exit 2`, () => {
      expectRefused(run(process.execPath, pretend('20.20.2'), args), '20.20.2');
    });
  }

  it('24.10.0 is refused too; this Node.js starts the CLI', () => {
    expectRefused(run(process.execPath, pretend('24.10.0'), ['--version']), '24.10.0');
    const ok = run(process.execPath, [], ['--version']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^mcp-authz /);
  });

  // This machine's Debian Node.js (20 on the project's machines) is the real thing the preload imitates.
  const system = '/usr/bin/node';
  const systemVersion = existsSync(system) ? spawnSync(system, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim() : '';
  const old = systemVersion !== '' && unsupportedNode(systemVersion, system) !== null;
  it.skipIf(!old)(`a real older Node.js (${system} ${systemVersion || 'absent'}) refuses every command the same way`, () => {
    for (const args of Object.values(COMMANDS)) expectRefused(run(system, [], args), systemVersion);
  });
});
