import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';
import { dockerfileText, parseStages } from './dockerfile-model.js';

// scripts/docker-base-standins.sh needs a Docker engine, root and the network to build anything (docs/docker.md
// records a real run); here: what it refuses, and that it has a stand-in for every base image the Dockerfile uses.
const script = join(repoRoot, 'scripts/docker-base-standins.sh');
const dockerCli = spawnSync('bash', ['-c', 'command -v docker'], { encoding: 'utf8' }).status === 0;

describe('scripts/docker-base-standins.sh', () => {
  it('is valid bash', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects unknown arguments with its usage', () => {
    const r = spawnSync('bash', [script, '--pull'], { encoding: 'utf8' });
    expect(r.stderr.trim()).toBe('usage: scripts/docker-base-standins.sh [--check]');
    expect(r.status).toBe(2);
  });

  it.skipIf(!dockerCli)('fails, saying why, where no Docker daemon answers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-nodaemon-'));
    try {
      const r = spawnSync('bash', [script, '--check'], {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` },
      });
      expect(r.stderr.trim()).toBe('docker-base-standins: FAILED: no Docker daemon answers (start dockerd)');
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows how to stand in for every base image of the Dockerfile, and labels what it builds', () => {
    const text = readFileSync(script, 'utf8');
    for (const { image } of parseStages(dockerfileText())) {
      const pattern = image.name === 'node' ? 'node:*-bookworm-slim' : `${image.name}:*-static`;
      expect(text, `${image.name}:${image.tag}`).toContain(`    ${pattern})`);
    }
    // Every image it builds carries the stand-in label (docker import --change and both generated Dockerfiles).
    expect(text.match(/LABEL \$label=/g)).toHaveLength(3);
  });
});
