import { Redis } from 'ioredis';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { type ActionOutcome, type AskOutcome, asRead, type Change, onApprove, onAsk, onReject, onReopen } from './transitions.js';
import { type Approval, type ApprovalEvent, type ApprovalStatus, type ApprovalStore, APPROVAL_STATUSES, isOver } from './types.js';

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port/db or rediss:// for TLS. */
  url: string;
  /** The password (AUTH); overrides one in the URL. */
  password?: string;
  /** Key prefix; a `{…}` hash tag keeps every key of the store in one slot. */
  keyPrefix: string;
  /** A command that takes longer fails (the check then stays require_approval: fail closed). */
  commandTimeoutMs: number;
  /** Audit events kept in the cross-approval history list. */
  historyLimit?: number;
}

/**
 * Compare-and-set: write the new state only if the stored JSON is still the one the transition was computed from,
 * and keep the indexes (last seen, per-status sets, grant expiry) and the audit lists in the same atomic script.
 * KEYS: record, index, events, history, old status set, new status set, expiry zset.
 * ARGV: expected JSON ('' = absent), new JSON, last seen (ms), id, history cap, expiry (ms or ''), events…
 */
const CAS = `
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('SREM', KEYS[5], ARGV[4])
redis.call('SADD', KEYS[6], ARGV[4])
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[7], ARGV[6], ARGV[4]) else redis.call('ZREM', KEYS[7], ARGV[4]) end
for i = 7, #ARGV do
  redis.call('RPUSH', KEYS[3], ARGV[i])
  redis.call('LPUSH', KEYS[4], ARGV[i])
end
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
return 1
`;

/**
 * Delete one approval that is over, only if it is still the state the caller read (an ask may have re-opened it).
 * KEYS: record, events, index, status set, expiry zset. ARGV: expected JSON, id.
 */
const PRUNE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('SREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
return 1
`;

type CasClient = Redis & {
  approvalCas(...args: (string | number)[]): Promise<number>;
  approvalPrune(...args: string[]): Promise<number>;
};

/**
 * Approvals in Redis, shared by every replica. Transitions are computed in TypeScript (the same code as SQLite's)
 * and written with an optimistic compare-and-set script, retried on a concurrent change, so two replicas can never
 * take the same last grant use or create the same pending approval twice.
 */
export function openRedisStore(opts: RedisStoreOptions): ApprovalStore & { client: Redis; ready(): Promise<void> } {
  const client = new Redis(opts.url, {
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    commandTimeout: opts.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  }) as CasClient;
  // ioredis reconnects by itself; an error event without a listener would crash the process.
  client.on('error', () => undefined);
  client.defineCommand('approvalCas', { numberOfKeys: 7, lua: CAS });
  client.defineCommand('approvalPrune', { numberOfKeys: 5, lua: PRUNE });
  const p = opts.keyPrefix;
  const k = {
    record: (id: string) => `${p}a:${id}`,
    events: (id: string) => `${p}e:${id}`,
    index: `${p}index`,
    history: `${p}history`,
    status: (s: ApprovalStatus) => `${p}s:${s}`,
    expiry: `${p}expiry`,
  };
  const historyLimit = opts.historyLimit ?? 1000;

  const parse = (s: string | null): Approval | undefined => (s ? (JSON.parse(s) as Approval) : undefined);
  const write = (expected: string | null, c: Change, old: Approval | undefined): Promise<number> =>
    client.approvalCas(
      k.record(c.next.id),
      k.index,
      k.events(c.next.id),
      k.history,
      k.status(old?.status ?? c.next.status),
      k.status(c.next.status),
      k.expiry,
      expected ?? '',
      JSON.stringify(c.next),
      Date.parse(c.next.last_seen),
      c.next.id,
      historyLimit,
      c.next.status === 'approved' && c.next.expires_at ? Date.parse(c.next.expires_at) : '',
      ...c.events.map((e) => JSON.stringify(e)),
    );
  /** Read, decide, compare-and-set; on a concurrent change, read again (bounded). */
  const transact = async <T extends AskOutcome | ActionOutcome>(id: string, step: (cur: Approval | undefined) => T): Promise<T> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await client.get(k.record(id));
      const cur = parse(raw);
      const out = step(cur);
      if (!out.change || (await write(raw, out.change, cur)) === 1) return out;
    }
    throw new Error(`approval ${id}: too many concurrent updates`);
  };
  const many = async (ids: string[]): Promise<Approval[]> => {
    if (ids.length === 0) return [];
    const raws = await client.mget(ids.map(k.record));
    return raws.map(parse).filter((a): a is Approval => a !== undefined);
  };
  const byLastSeen = (a: Approval, b: Approval) => b.last_seen.localeCompare(a.last_seen);

  return {
    kind: 'redis',
    client,
    ready: () =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            client.once('ready', () => resolve());
            client.once('end', () => reject(new Error('redis connection closed')));
          }),
    async resolve(ask, now) {
      return (await transact(ask.id, (cur) => onAsk(cur, ask, now))).resolution;
    },
    async approve(id, o, now) {
      return (await transact(id, (cur) => onApprove(cur, o, now))).result;
    },
    async reject(id, o, now) {
      return (await transact(id, (cur) => onReject(cur, o, now))).result;
    },
    async reopen(id, o, now) {
      return (await transact(id, (cur) => onReopen(cur, o, now))).result;
    },
    async prune(before, now) {
      let pruned = 0;
      const ids = await client.zrangebyscore(k.index, '-inf', `(${before.getTime()}`);
      for (let i = 0; i < ids.length; i += 100) {
        const batch = ids.slice(i, i + 100);
        const raws = await client.mget(batch.map(k.record));
        for (const [j, raw] of raws.entries()) {
          const a = parse(raw);
          if (!a || !isOver(asRead(a, now).status)) continue;
          pruned += await client.approvalPrune(k.record(a.id), k.events(a.id), k.index, k.status(a.status), k.expiry, raw!, batch[j]!);
        }
      }
      return pruned;
    },
    async get(id, now) {
      const [raw, events] = await Promise.all([client.get(k.record(id)), client.lrange(k.events(id), 0, -1)]);
      const a = parse(raw);
      if (!a) return undefined;
      return { approval: asRead(a, now), events: events.map((e) => JSON.parse(e) as ApprovalEvent) };
    },
    async list(o, now) {
      const limit = o.limit ?? 100;
      if (!o.status) return (await many(await client.zrevrange(k.index, 0, limit - 1))).map((a) => asRead(a, now));
      const stored = o.status === 'expired' ? 'approved' : o.status;
      const all = (await many(await client.smembers(k.status(stored)))).map((a) => asRead(a, now));
      return all
        .filter((a) => a.status === o.status)
        .sort(byLastSeen)
        .slice(0, limit);
    },
    async history(limit) {
      return (await client.lrange(k.history, 0, limit - 1)).map((e) => JSON.parse(e) as ApprovalEvent);
    },
    async counts(now) {
      const out = Object.fromEntries(APPROVAL_STATUSES.map((s) => [s, 0])) as Record<ApprovalStatus, number>;
      const stored = APPROVAL_STATUSES.filter((s) => s !== 'expired');
      const [sizes, expired] = await Promise.all([
        Promise.all(stored.map((s) => client.scard(k.status(s)))),
        client.zcount(k.expiry, '-inf', now.getTime()),
      ]);
      stored.forEach((s, i) => {
        out[s] = sizes[i]!;
      });
      out.expired = expired;
      out.approved -= expired;
      return out;
    },
    async close() {
      if (client.status === 'end') return;
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The `approvals.redis` settings connectRedisStore reads. */
export interface RedisSettings {
  url: string;
  password_env?: string | undefined;
  key_prefix: string;
  command_timeout_ms: number;
}

/** A Redis URL as it may be shown: the password replaced by `***`. */
export function redisUrlShown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}

/**
 * Open the Redis store with the password from `approvals.redis.password_env` and check at startup that Redis
 * accepts it (PING): a variable that is unset or empty is config_invalid; a password Redis refuses, or a Redis that
 * wants one and got none, is approvals_store_unavailable, each saying what to change. Never logs the password.
 */
export async function connectRedisStore(cfg: RedisSettings, env: NodeJS.ProcessEnv = process.env): Promise<ReturnType<typeof openRedisStore>> {
  let password: string | undefined;
  if (cfg.password_env !== undefined) {
    password = env[cfg.password_env];
    if (password === undefined || password === '')
      throw new AuthzError(
        STARTUP_ERROR.config_invalid,
        `approvals.redis.password_env: the environment variable ${cfg.password_env} is ${password === undefined ? 'not set' : 'empty'}; set it to the Redis password (in Kubernetes: env.valueFrom.secretKeyRef), or remove the key`,
      );
  }
  const store = openRedisStore({
    url: cfg.url,
    ...(password !== undefined ? { password } : {}),
    keyPrefix: cfg.key_prefix,
    commandTimeoutMs: cfg.command_timeout_ms,
  });
  // The connection's own error (ECONNREFUSED, a TLS failure) says more than the command's "max retries" one.
  let connectionError: Error | undefined;
  const onError = (err: Error): void => {
    connectionError ??= err;
  };
  store.client.on('error', onError);
  try {
    await store.client.ping();
    store.client.off('error', onError);
    return store;
  } catch (err) {
    await store.close().catch(() => undefined);
    const pingError = (err as Error).message;
    const msg = /^(WRONGPASS|NOAUTH)/.test(pingError) || !connectionError ? pingError : connectionError.message;
    const where = `Redis at ${redisUrlShown(cfg.url)} (approvals.redis.url)`;
    const from = cfg.password_env !== undefined ? `the password from ${cfg.password_env} (approvals.redis.password_env)` : 'the password in the URL';
    const first = msg.split('\n')[0]!.slice(0, 200);
    let what: string;
    if (/^WRONGPASS/.test(msg))
      what = `${where} refused ${from}, or the user name in the URL: check the Secret and Redis's requirepass or ACL user (${first})`;
    else if (/^NOAUTH/.test(msg))
      what = `${where} requires a password and none was given: set approvals.redis.password_env to the variable that holds it (${first})`;
    else what = `${where} does not answer PING within approvals.redis.command_timeout_ms (${cfg.command_timeout_ms} ms): ${first}`;
    throw new AuthzError(STARTUP_ERROR.approvals_store_unavailable, what);
  }
}
