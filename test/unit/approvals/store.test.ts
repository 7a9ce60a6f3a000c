// The approval store contract, run against both backends for real: an SQLite file through node:sqlite and a
// redis-server process. Includes two store instances on one backend (two workers, or two replicas).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../../src/approvals/redis-store.js';
import { openSqliteStore } from '../../../src/approvals/sqlite-store.js';
import type { ApprovalAsk, ApprovalStore } from '../../../src/approvals/types.js';
import { type RedisServer, startRedis } from '../../helpers/redis.js';

const T0 = new Date('2026-11-28T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let n = 0;
const ask = (over: Partial<ApprovalAsk> = {}): ApprovalAsk => ({
  id: `sha256:${(++n).toString(16).padStart(64, '0')}`,
  agent: 'payment-agent',
  tools: ['http_proxy'],
  calls: [{ tool: 'http_proxy', arguments: { url: 'https://api.stripe.com/v1/charges', body: { amount: 50000 } } }],
  rule: 'large-payment',
  message: 'payments above 10000 require approval',
  revision: 'rev-1',
  ...over,
});
const grant = { actor: 'alice', uses: 1, ttlSeconds: 600, reason: 'ok' };

let tmp: string;
let redis: RedisServer;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-approvals-'));
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const backends: [string, () => ApprovalStore][] = [
  ['sqlite', () => openSqliteStore({ path: join(tmp, `a-${n}.db`), busyTimeoutMs: 2000 })],
  ['redis', () => openRedisStore({ url: redis.url, keyPrefix: `t${++n}:{approvals}:`, commandTimeoutMs: 2000 })],
];

describe.each(backends)('approval store: %s', (_name, open) => {
  let store: ApprovalStore;
  beforeAll(() => {
    store = open();
  });
  afterAll(async () => store?.close());

  it('records a pending approval once; retries move last seen and the ask count', async () => {
    const a = ask();
    const first = await store.resolve(a, T0);
    expect(first).toMatchObject({
      kind: 'pending',
      created: true,
      approval: { id: a.id, status: 'pending', ask_count: 1, first_seen: T0.toISOString() },
    });
    const again = await store.resolve(a, at(5));
    expect(again).toMatchObject({
      kind: 'pending',
      created: false,
      approval: { ask_count: 2, first_seen: T0.toISOString(), last_seen: at(5).toISOString() },
    });
    const pending = await store.list({ status: 'pending' }, at(6));
    expect(pending.filter((p) => p.id === a.id)).toHaveLength(1);
    const got = await store.get(a.id, at(6));
    expect(got?.approval).toMatchObject({ agent: 'payment-agent', tools: ['http_proxy'], rule: 'large-payment', revision: 'rev-1', calls: a.calls });
    expect(got?.events.map((e) => e.action)).toEqual(['requested']);
  });

  it('an approved grant is used once (default), then the next ask is a new pending approval', async () => {
    const a = ask();
    await store.resolve(a, T0);
    const approved = await store.approve(a.id, grant, at(1));
    expect(approved).toMatchObject({
      ok: true,
      approval: { status: 'approved', decided_by: 'alice', uses_left: 1, expires_at: at(601).toISOString() },
    });
    expect(await store.resolve(a, at(2))).toMatchObject({ kind: 'granted', approval: { status: 'used', uses_left: 0 } });
    expect(await store.resolve(a, at(3))).toMatchObject({
      kind: 'pending',
      created: true,
      expired: false,
      approval: { status: 'pending', uses_left: null, decided_by: null },
    });
    const { events } = (await store.get(a.id, at(4)))!;
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['requested', 'payment-agent'],
      ['approved', 'alice'],
      ['used', 'payment-agent'],
      ['requested', 'payment-agent'],
    ]);
    expect(events[1]).toMatchObject({ reason: 'ok', uses: 1, ttl_seconds: 600, at: at(1).toISOString() });
  });

  it('uses count down within the TTL; past it the grant reads expired and the next ask is pending again', async () => {
    const a = ask();
    await store.resolve(a, T0);
    await store.approve(a.id, { ...grant, uses: 3, ttlSeconds: 60 }, T0);
    expect(await store.resolve(a, at(10))).toMatchObject({ kind: 'granted', approval: { uses_left: 2, status: 'approved' } });
    expect(await store.resolve(a, at(20))).toMatchObject({ kind: 'granted', approval: { uses_left: 1 } });
    expect((await store.get(a.id, at(61)))!.approval.status).toBe('expired');
    expect((await store.list({ status: 'expired' }, at(61))).map((x) => x.id)).toContain(a.id);
    expect((await store.counts(at(61))).expired).toBeGreaterThanOrEqual(1);
    expect(await store.resolve(a, at(61))).toMatchObject({ kind: 'pending', created: true, expired: true });
    expect((await store.get(a.id, at(62)))!.events.map((e) => e.action)).toEqual(['requested', 'approved', 'used', 'used', 'expired', 'requested']);
  });

  it('a rejected approval stays rejected for retries; only pending approvals can be approved', async () => {
    const a = ask();
    await store.resolve(a, T0);
    expect(await store.reject(a.id, { actor: 'bob', reason: 'too large' }, at(1))).toMatchObject({
      ok: true,
      approval: { status: 'rejected', decided_by: 'bob', reason: 'too large' },
    });
    expect(await store.resolve(a, at(2))).toMatchObject({ kind: 'rejected', approval: { ask_count: 2 } });
    expect(await store.approve(a.id, grant, at(3))).toEqual({ ok: false, error: 'conflict', status: 'rejected' });
    expect(await store.approve('sha256:nope', grant, at(3))).toEqual({ ok: false, error: 'not_found' });
    expect(await store.reject('sha256:nope', { actor: 'bob', reason: null }, at(3))).toEqual({ ok: false, error: 'not_found' });
  });

  it('rejecting an approved grant revokes it', async () => {
    const a = ask();
    await store.resolve(a, T0);
    await store.approve(a.id, { ...grant, uses: 5 }, T0);
    await store.reject(a.id, { actor: 'carol', reason: 'revoked' }, at(1));
    expect(await store.resolve(a, at(2))).toMatchObject({ kind: 'rejected' });
  });

  it('never matches another agent or another tool list under the same id', async () => {
    const a = ask();
    await store.resolve(a, T0);
    await store.approve(a.id, { ...grant, uses: 5 }, T0);
    expect((await store.resolve({ ...a, agent: 'other-agent' }, at(1))).kind).toBe('pending');
    expect((await store.resolve({ ...a, tools: ['create_payment'] }, at(1))).kind).toBe('pending');
    expect((await store.resolve(a, at(1))).kind).toBe('granted');
  });

  it('history lists actions across approvals, newest first; counts by status', async () => {
    const h = await store.history(3);
    expect(h).toHaveLength(3);
    expect(Date.parse(h[0]!.at)).toBeGreaterThanOrEqual(Date.parse(h[2]!.at));
    const counts = await store.counts(at(1));
    expect(Object.keys(counts).sort()).toEqual(['approved', 'expired', 'pending', 'rejected', 'used']);
    const all = await store.list({ limit: 1000 }, at(1));
    for (const s of Object.keys(counts) as (keyof typeof counts)[]) expect(counts[s], s).toBe(all.filter((a) => a.status === s).length);
  });
});

describe.each(backends)('re-opening and retention: %s', (_name, open) => {
  let store: ApprovalStore;
  beforeAll(() => {
    store = open();
  });
  afterAll(async () => store?.close());

  it('an expired or used approval can be re-opened as pending; nothing else can', async () => {
    const expired = ask();
    await store.resolve(expired, T0);
    await store.approve(expired.id, { ...grant, ttlSeconds: 60 }, T0);
    const r = await store.reopen(expired.id, { actor: 'carol', reason: 'again' }, at(61));
    expect(r).toMatchObject({ ok: true, approval: { status: 'pending', decided_by: null, uses_left: null, expires_at: null } });
    expect((await store.get(expired.id, at(62)))!.events.map((e) => [e.action, e.actor])).toEqual([
      ['requested', 'payment-agent'],
      ['approved', 'alice'],
      ['expired', 'system'],
      ['reopened', 'carol'],
    ]);
    // Pending again: the next ask waits, and an approver can approve it.
    expect(await store.resolve(expired, at(63))).toMatchObject({ kind: 'pending', created: false });
    expect((await store.approve(expired.id, grant, at(64))).ok).toBe(true);

    const used = ask();
    await store.resolve(used, T0);
    await store.approve(used.id, grant, T0);
    await store.resolve(used, at(1));
    expect(await store.reopen(used.id, { actor: 'carol', reason: null }, at(2))).toMatchObject({ ok: true, approval: { status: 'pending' } });

    const pending = ask();
    await store.resolve(pending, T0);
    expect(await store.reopen(pending.id, { actor: 'carol', reason: null }, at(1))).toEqual({ ok: false, error: 'conflict', status: 'pending' });
    expect(await store.reopen('sha256:nope', { actor: 'carol', reason: null }, at(1))).toEqual({ ok: false, error: 'not_found' });
  });

  it('prune deletes what is over and older than the cut-off, with its events; never pending or usable grants', async () => {
    const day = 86_400;
    const old = { rejected: ask(), used: ask(), expired: ask(), pending: ask(), usable: ask() };
    for (const a of Object.values(old)) await store.resolve(a, T0);
    await store.reject(old.rejected.id, { actor: 'bob', reason: null }, T0);
    await store.approve(old.used.id, grant, T0);
    await store.resolve(old.used, at(1));
    await store.approve(old.expired.id, { ...grant, ttlSeconds: 60 }, T0);
    await store.approve(old.usable.id, { ...grant, uses: 5, ttlSeconds: 30 * day }, T0);
    const recent = ask();
    await store.resolve(recent, at(9 * day));
    await store.reject(recent.id, { actor: 'bob', reason: null }, at(9 * day));

    const now = at(10 * day);
    const pruned = await store.prune(at(5 * day), now);
    expect(pruned).toBeGreaterThanOrEqual(3);
    for (const gone of [old.rejected, old.used, old.expired]) expect(await store.get(gone.id, now), gone.id).toBeUndefined();
    expect((await store.get(old.pending.id, now))?.approval.status).toBe('pending');
    // A grant within its TTL is kept however long ago it was last seen.
    expect((await store.get(old.usable.id, now))?.approval.status).toBe('approved');
    expect((await store.get(recent.id, now))?.approval.status).toBe('rejected');
    const listed = (await store.list({ limit: 10_000 }, now)).map((a) => a.id);
    expect(listed).not.toContain(old.rejected.id);
    expect(listed).toContain(old.pending.id);
    const counts = await store.counts(now);
    expect(counts.rejected).toBe((await store.list({ status: 'rejected', limit: 10_000 }, now)).length);
    expect(await store.prune(at(5 * day), now)).toBe(0);
  });
});

describe.each(backends)('two store instances on one %s backend (two workers or two replicas)', (name, open) => {
  it('a grant approved through one is used through the other, exactly as many times as granted', async () => {
    const one = open();
    // The second instance opens the same file / the same key prefix.
    const two =
      name === 'sqlite'
        ? openSqliteStore({ path: join(tmp, `a-${n}.db`), busyTimeoutMs: 2000 })
        : openRedisStore({ url: redis.url, keyPrefix: `t${n}:{approvals}:`, commandTimeoutMs: 2000 });
    try {
      const a = ask();
      // Many concurrent first asks through both: one pending approval, created once.
      const firsts = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? one : two).resolve(a, T0)));
      expect(firsts.filter((r) => r.kind === 'pending' && r.created)).toHaveLength(1);
      expect((await two.get(a.id, T0))!.approval.ask_count).toBe(10);
      expect((await one.approve(a.id, { ...grant, uses: 3 }, at(1))).ok).toBe(true);
      // Concurrent retries through both: exactly three pass.
      const retries = await Promise.all([...Array(8)].map((_, i) => (i % 2 ? two : one).resolve(a, at(2))));
      expect(retries.filter((r) => r.kind === 'granted')).toHaveLength(3);
      expect((await one.get(a.id, at(3)))!.approval).toMatchObject({ status: 'pending' });
    } finally {
      await one.close();
      await two.close();
    }
  });
});
