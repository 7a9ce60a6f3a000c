import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

const script = join(repoRoot, 'scripts/docker-smoke.sh');
const engine = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 30_000 }).status === 0;

describe('scripts/docker-smoke.sh', () => {
  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails, saying why, where no docker command exists (a check that cannot run must not pass)', () => {
    // A PATH with only what the script needs before it looks for docker.
    const bin = mkdtempSync(join(tmpdir(), 'mcp-authz-nodocker-'));
    const which = (tool: string) => spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(which('dirname'), join(bin, 'dirname'));
    try {
      const r = spawnSync(which('bash'), [script], { encoding: 'utf8', env: { PATH: bin } });
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe('docker-smoke: FAILED: cannot run: no docker command (install a Docker engine, e.g. apt-get install docker.io)');
      expect(r.status).toBe(1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  // Here (and in this project's CI) the docker client is installed but no daemon runs: the script must say so and
  // fail. Where an engine runs, the same test builds and checks the real image.
  it(engine ? 'builds the image and passes every check against it' : 'fails, saying why, where the docker client has no engine', () => {
    const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 1_500_000, maxBuffer: 64 * 1024 * 1024 });
    if (engine) {
      expect(r.stderr).not.toMatch(/FAILED/);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^docker smoke test passed: /m);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^docker-smoke: FAILED: cannot run: .*no daemon answers \(start dockerd\)$/m);
    }
  }, 1_600_000);
});
