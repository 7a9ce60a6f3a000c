// Redis is checked at startup (issue 22 §4): one that does not answer PING is a clean exit 2 naming
// approvals.redis.url (its password hidden); the startup line names the store; the command timeout stays below the
// gateway's ext_authz timeout, so an outage is answered as 403 approval_required, not by the gateway's 503.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalsConfigSchema } from '../../src/approvals/config.js';
import { runCli, startCli } from '../helpers/cli.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { repoRoot } from '../helpers/tools.js';

const ADDRS = ['--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'];
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describe('the Redis approval store at startup', () => {
  it('names the store and where it is in the startup line, without the password', async () => {
    const s = await startCli(['--workers', '2', '--approvals-store', 'redis', '--approvals-redis-url', redis.url]);
    try {
      const started = JSON.parse(s.lines.find((l) => l.includes('"mcp-authz started"'))!);
      expect(started.approvals).toEqual({ store: 'redis', location: redis.url });
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: a Redis that does not answer is exit 2 naming approvals.redis.url, password hidden`, async () => {
      const stopped = await startRedis();
      await stopped.stop();
      const url = `redis://app:s3cret-pass@127.0.0.1:${stopped.port}/0`;
      const r = runCli(['serve', ...ADDRS, '--workers', workers, '--approvals-store', 'redis', '--approvals-redis-url', url]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `cannot start [approvals_store_unavailable]: Redis at redis://app:***@127.0.0.1:${stopped.port}/0 (approvals.redis.url)`,
      );
      expect(lines[0]).toContain('does not answer PING');
      expect(lines[0]).toContain('ECONNREFUSED');
      expect(r.stderr).not.toContain('s3cret-pass');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('the default command timeout is below every ext_authz timeout the manifests set', () => {
    const timeouts: number[] = [];
    const visit = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) visit(p);
        else if (/\.ya?ml$/.test(e.name))
          for (const m of readFileSync(p, 'utf8').matchAll(/^\s*timeout:\s*([\d.]+)(ms|s)\b/gm))
            timeouts.push(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
      }
    };
    visit(join(repoRoot, 'manifests'));
    expect(timeouts.length).toBeGreaterThan(0);
    const defaultMs = approvalsConfigSchema.parse({}).redis.command_timeout_ms;
    for (const t of timeouts) expect(defaultMs).toBeLessThan(t / 2);
  });
});
