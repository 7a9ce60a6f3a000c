// Several replicas share approvals through a real redis-server (Debian's package, started by the test): a call
// approved through one replica is honoured by another; a grant's uses are never spent twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFirewallAlwaysOpen, admin, approvalsCli, check, payment } from '../helpers/approvals.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let tmp: string;
let redis: RedisServer;
let replicaA: TestServer;
let replicaB: TestServer;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-approvals-redis-'));
  redis = await startRedis();
  const data = await actionFirewallAlwaysOpen(tmp);
  const flags = { data: [data], 'approvals-store': 'redis', 'approvals-redis-url': redis.url };
  replicaA = await startTestServer(flags);
  replicaB = await startTestServer(flags);
});
afterAll(async () => {
  await Promise.all([replicaA?.close(), replicaB?.close()]);
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('approvals shared by replicas through Redis', () => {
  it('granted via one replica, honoured by another, exactly as many times as granted', async () => {
    const asks = await Promise.all([...Array(6)].map((_, i) => check(i % 2 ? replicaA : replicaB, payment(25000, {}, i))));
    const id = asks[0]!.body.approval_id;
    expect(new Set(asks.map((a) => a.body.approval_id))).toEqual(new Set([id]));
    const pending = (await admin(replicaB, '/v1/approvals?status=pending')).body;
    expect(pending.store).toBe('redis');
    expect(pending.approvals).toHaveLength(1);
    expect(pending.approvals[0]).toMatchObject({ id, ask_count: 6 });

    expect((await approvalsCli(replicaA, ['approve', id, '--uses', '3', '--by', 'alice'])).code).toBe(0);
    const retries = await Promise.all([...Array(8)].map((_, i) => check(i % 2 ? replicaB : replicaA, payment(25000, {}, `r${i}`))));
    expect(retries.filter((r) => r.allowed)).toHaveLength(3);
    for (const r of retries.filter((x) => x.allowed)) expect(r.headers['x-mcp-authz-approval-id']).toBe(id);
    for (const r of retries.filter((x) => !x.allowed)) expect(r.body).toMatchObject({ error: 'approval_required', approval_id: id });
    const { body } = await admin(replicaB, `/v1/approvals/${encodeURIComponent(id)}`);
    expect(body.events.filter((e: any) => e.action === 'used')).toHaveLength(3);
    expect(body.approval.status).toBe('pending');
  });

  it('a rejection through one replica is answered by the other', async () => {
    const id = (await check(replicaB, payment(26000))).body.approval_id;
    expect((await approvalsCli(replicaB, ['reject', id, '--reason', 'no', '--by', 'carol'])).code).toBe(0);
    expect((await check(replicaA, payment(26000))).body).toMatchObject({ error: 'approval_rejected', rule: 'approval_rejected' });
  });

  it('with Redis down, require_approval stays a denial (fail closed) and the error is counted', async () => {
    await redis.stop();
    const r = await check(replicaA, payment(27000));
    expect(r).toMatchObject({ allowed: false, status: 403, body: { error: 'approval_required' } });
    const text = await (await fetch(`http://127.0.0.1:${replicaA.app.http.port}/metrics`)).text();
    expect(Number(text.match(/^mcp_authz_approval_store_errors_total (\d+)/m)?.[1])).toBeGreaterThanOrEqual(1);
  });
});
