import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB } from '../../src/server/worker-flags.js';
import { LOOPBACK_ADDRESSES } from '../helpers/cli.js';
import { repoRoot } from '../helpers/tools.js';

const flag = `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`;
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Start `bin/mcp-authz serve --workers 1` as a user does; the node it execs is the same process: its command line. */
async function launcherCommandLine(env: NodeJS.ProcessEnv): Promise<string[]> {
  const child = spawn('bash', [join(repoRoot, 'bin/mcp-authz'), 'serve', '--workers', '1', ...LOOPBACK_ADDRESSES], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"mcp-authz started"')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`bin/mcp-authz exited ${code} before starting: ${err}`)));
  });
  return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('the launchers size the young generation as the workers get it (docs/workers.md#memory)', () => {
  it(`bin/mcp-authz runs node with ${flag}, and leaves it to NODE_OPTIONS when that sizes it`, async () => {
    const plain = await launcherCommandLine({ NODE_OPTIONS: '' });
    expect(plain.slice(0, 3)).toEqual(['node', flag, join(repoRoot, 'dist/main.js')]);
    const operator = await launcherCommandLine({ NODE_OPTIONS: '--max-semi-space-size=16' });
    expect(operator.some((a) => a.includes('semi-space'))).toBe(false);
  }, 60_000);

  it(`the image sets NODE_OPTIONS=${flag}, which a run-time NODE_OPTIONS replaces`, () => {
    expect(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^\\s+NODE_OPTIONS=${flag}$`, 'm'));
    // docs/docker.md and docs/workers.md say so.
    for (const doc of ['docs/docker.md', 'docs/workers.md']) expect(readFileSync(join(repoRoot, doc), 'utf8'), doc).toContain(`NODE_OPTIONS=${flag}`);
  });
});
