import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fsCause, makeDirectories } from '../shared/fs-cause.js';
import { type ActionOutcome, type AskOutcome, asRead, type Change, onApprove, onAsk, onReject, onReopen } from './transitions.js';
import { type Approval, type ApprovalEvent, type ApprovalStatus, type ApprovalStore, APPROVAL_STATUSES } from './types.js';

export interface SqliteStoreOptions {
  /** The database file; every worker of a pod opens the same one. `:memory:` for a private, unshared store. */
  path: string;
  /** How long a writer waits for another process's write lock, in ms (SQLite busy timeout). */
  busyTimeoutMs: number;
}

const READ_STATUS = "CASE WHEN status = 'approved' AND expires_at <= ?1 THEN 'expired' ELSE status END";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  expires_at TEXT,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_last_seen ON approvals (last_seen);
CREATE TABLE IF NOT EXISTS approval_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  approval_id TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_events_id ON approval_events (approval_id, seq);
`;

/**
 * Approvals in one SQLite file (node:sqlite), shared by every process that opens it: WAL journal (readers never
 * block the writer), a busy timeout for concurrent writers, and every state change in one IMMEDIATE transaction
 * (read, compute the transition, write), so two workers can never take the same last grant use.
 */
export function openSqliteStore(opts: SqliteStoreOptions): ApprovalStore {
  if (opts.path !== ':memory:') checkWritable(opts.path);
  const db = openDatabase(opts);

  const q = {
    get: db.prepare('SELECT data FROM approvals WHERE id = ?'),
    upsert: db.prepare(
      'INSERT INTO approvals (id, status, last_seen, expires_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen, expires_at = excluded.expires_at, data = excluded.data',
    ),
    event: db.prepare('INSERT INTO approval_events (approval_id, data) VALUES (?, ?)'),
    events: db.prepare('SELECT data FROM approval_events WHERE approval_id = ? ORDER BY seq'),
    history: db.prepare('SELECT data FROM approval_events ORDER BY seq DESC LIMIT ?'),
    list: db.prepare('SELECT data FROM approvals ORDER BY last_seen DESC LIMIT ?'),
    // `expired` is read, not stored: an `approved` row past its expiry (ISO times compare as strings).
    listStatus: db.prepare(`SELECT data FROM approvals WHERE ${READ_STATUS} = ? ORDER BY last_seen DESC LIMIT ?`),
    counts: db.prepare(`SELECT ${READ_STATUS} AS status, count(*) AS n FROM approvals GROUP BY 1`),
    // Over (rejected, used, or an approved grant past its expiry) and last seen before ?2.
    prunable: db.prepare(`SELECT id FROM approvals WHERE ${READ_STATUS} IN ('rejected', 'used', 'expired') AND last_seen < ?2`),
    deleteApproval: db.prepare('DELETE FROM approvals WHERE id = ?'),
    deleteEvents: db.prepare('DELETE FROM approval_events WHERE approval_id = ?'),
  } satisfies Record<string, StatementSync>;

  const read = (id: string): Approval | undefined => {
    const row = q.get.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Approval) : undefined;
  };
  const write = (c: Change): void => {
    q.upsert.run(c.next.id, c.next.status, c.next.last_seen, c.next.expires_at, JSON.stringify(c.next));
    for (const e of c.events) q.event.run(e.approval_id, JSON.stringify(e));
  };
  /** Read, decide and write in one IMMEDIATE transaction: the write lock is taken before the read. */
  const transact = <T extends AskOutcome | ActionOutcome>(id: string, step: (cur: Approval | undefined) => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = step(read(id));
      if (out.change) write(out.change);
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
  const rows = (r: unknown[]): Approval[] => (r as { data: string }[]).map((x) => JSON.parse(x.data) as Approval);

  return {
    kind: 'sqlite',
    async resolve(ask, now) {
      return transact(ask.id, (cur) => onAsk(cur, ask, now)).resolution;
    },
    async approve(id, opts, now) {
      return transact(id, (cur) => onApprove(cur, opts, now)).result;
    },
    async reject(id, opts, now) {
      return transact(id, (cur) => onReject(cur, opts, now)).result;
    },
    async reopen(id, opts, now) {
      return transact(id, (cur) => onReopen(cur, opts, now)).result;
    },
    async prune(before, now) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const ids = (q.prunable.all(now.toISOString(), before.toISOString()) as { id: string }[]).map((r) => r.id);
        for (const id of ids) {
          q.deleteApproval.run(id);
          q.deleteEvents.run(id);
        }
        db.exec('COMMIT');
        return ids.length;
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    async get(id, now) {
      const a = read(id);
      if (!a) return undefined;
      return { approval: asRead(a, now), events: (q.events.all(id) as { data: string }[]).map((r) => JSON.parse(r.data) as ApprovalEvent) };
    },
    async list(opts, now) {
      const limit = opts.limit ?? 100;
      return (opts.status ? rows(q.listStatus.all(now.toISOString(), opts.status, limit)) : rows(q.list.all(limit))).map((a) => asRead(a, now));
    },
    async history(limit) {
      return (q.history.all(limit) as { data: string }[]).map((r) => JSON.parse(r.data) as ApprovalEvent);
    },
    async counts(now) {
      const out = Object.fromEntries(APPROVAL_STATUSES.map((s) => [s, 0])) as Record<ApprovalStatus, number>;
      for (const r of q.counts.all(now.toISOString()) as { status: ApprovalStatus; n: number }[]) out[r.status] = r.n;
      return out;
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}

/** The file's directory exists (created when missing) and can be written; errors say why not, in words. */
function checkWritable(path: string): void {
  const dir = dirname(path);
  makeDirectories(dir);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`cannot write in ${dir}: ${fsCause(err)}`);
  }
  // SQLite says only "unable to open database file"; opening it here first gives the OS's reason.
  try {
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new Error(`cannot open ${path} for writing: ${fsCause(err)}`);
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, _TIMEOUT). */
const isBusy = (err: unknown): boolean => ((err as { errcode?: number }).errcode ?? 0) % 256 === 5;

/**
 * Open the file, switch it to WAL and create the schema. Some SQLITE_BUSY answers bypass the busy timeout (another
 * process is switching a fresh file to WAL, or recovering its WAL index), so several processes opening one fresh
 * file at once retry the whole step, for up to busy_timeout_ms (at least 2 s).
 */
function openDatabase(opts: SqliteStoreOptions): DatabaseSync {
  const deadline = Date.now() + Math.max(opts.busyTimeoutMs, 2000);
  for (let attempt = 1; ; attempt++) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs });
      if (opts.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(SCHEMA);
      return db;
    } catch (err) {
      if (db?.isOpen) db.close();
      if (isBusy(err) && Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(10 * attempt, 100));
        continue;
      }
      throw new Error(`cannot open the SQLite file ${opts.path}: ${(err as Error).message}`);
    }
  }
}
