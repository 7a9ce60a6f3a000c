// A Redis that requires a password (requirepass, as manifests/examples/approvals-redis runs it): mcp-authz reads
// the password from the environment variable approvals.redis.password_env names, and refuses to start, with exit 2
// and a message saying what to change, when the variable is missing or Redis refuses the password.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFirewallAlwaysOpen, admin, check, payment } from '../helpers/approvals.js';
import { runCli } from '../helpers/cli.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = randomBytes(18).toString('base64url');
const VAR = `MCP_AUTHZ_TEST_REDIS_PASSWORD_${process.pid}`;

let tmp: string;
let redis: RedisServer;
let config: string;
let data: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-redis-auth-'));
  redis = await startRedis({ requirepass: PASSWORD });
  data = await actionFirewallAlwaysOpen(tmp);
  config = join(tmp, 'config.yaml');
  // The password is in no file: only the variable's name is.
  await writeFile(config, ['approvals:', '  store: redis', '  redis:', `    url: ${redis.url}`, `    password_env: ${VAR}`, ''].join('\n'));
});
afterAll(async () => {
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('approvals in a Redis with requirepass, the password from the environment', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.close();
    delete process.env[VAR];
  });

  it('connects with the password from the variable and keeps approvals there', async () => {
    process.env[VAR] = PASSWORD;
    server = await startTestServer({ data: [data] }, config);
    const ask = await check(server, payment(25000));
    expect(ask.body).toMatchObject({ error: 'approval_required' });
    const pending = (await admin(server, '/v1/approvals?status=pending')).body;
    expect(pending.store).toBe('redis');
    expect(pending.approvals.map((a: { id: string }) => a.id)).toEqual([ask.body.approval_id]);

    // The grant really is in this Redis, and a client without the password cannot read or write it.
    const anonymous = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    anonymous.on('error', () => undefined);
    await expect(anonymous.keys('*')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const authed = new Redis(redis.url, { password: PASSWORD, maxRetriesPerRequest: 1 });
    expect((await authed.keys('*')).some((k) => k.includes(ask.body.approval_id))).toBe(true);
    authed.disconnect();
  });
});

describe('startup fails with a clear message', () => {
  const serve = (env: Record<string, string>, file = config) =>
    runCli(
      [
        'serve',
        '--workers',
        '1',
        '--config',
        file,
        '--data',
        data,
        '--grpc-addr',
        '127.0.0.1:0',
        '--http-addr',
        '127.0.0.1:0',
        '--admin-addr',
        '127.0.0.1:0',
      ],
      env,
    );

  it('when the variable is not set', () => {
    const r = serve({});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot start [config_invalid]: approvals.redis.password_env: the environment variable ${VAR} is not set`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('when Redis refuses the password', () => {
    const r = serve({ [VAR]: 'not-the-password' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot start [approvals_store_unavailable]: Redis at ${redis.url}`);
    expect(r.stderr).toContain(`refused the password from ${VAR} (approvals.redis.password_env)`);
    expect(r.stderr).toContain('WRONGPASS');
    expect(r.stderr).not.toContain('not-the-password');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('when Redis wants a password and the configuration gives none', async () => {
    const none = join(tmp, 'no-password.yaml');
    await writeFile(none, ['approvals:', '  store: redis', '  redis:', `    url: ${redis.url}`, ''].join('\n'));
    const r = serve({}, none);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('requires a password and none was given: set approvals.redis.password_env');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
