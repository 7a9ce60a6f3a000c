import type { Json } from '../check/types.js';

/**
 * Stored states. `approved` turns into `used` when its last use is taken; an `approved` grant past its TTL reads
 * as `expired`. A new ask for a `used` or `expired` approval puts it back to `pending` (a fresh request).
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'used' | 'expired';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'used', 'expired'];

/** One tool call of the request, arguments redacted like the decision log. */
export interface ApprovalCall {
  tool: string | null;
  arguments: Json;
}

/** What a check that ended in require_approval records. */
export interface ApprovalAsk {
  id: string;
  agent: string | null;
  tools: string[];
  calls: ApprovalCall[];
  rule: string | null;
  message: string | null;
  revision: string | null;
}

export interface Approval extends ApprovalAsk {
  status: ApprovalStatus;
  /** ISO times. */
  first_seen: string;
  last_seen: string;
  /** Checks that ended in require_approval for this id (retries included). */
  ask_count: number;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  /** The grant: uses given, uses left, expiry (ISO). */
  uses_granted: number | null;
  uses_left: number | null;
  expires_at: string | null;
}

export type ApprovalAction = 'requested' | 'approved' | 'rejected' | 'used' | 'expired' | 'reopened';
export const APPROVAL_ACTIONS: readonly ApprovalAction[] = ['requested', 'approved', 'rejected', 'used', 'expired', 'reopened'];

/** The audit trail: every action, with who did it and when. */
export interface ApprovalEvent {
  approval_id: string;
  at: string;
  action: ApprovalAction;
  /** The approver (approved/rejected/reopened), the agent (requested/used), or `system` (expired). */
  actor: string | null;
  reason: string | null;
  uses: number | null;
  ttl_seconds: number | null;
}

/** What an ask resolved to, atomically: a grant use was taken, the approval was rejected, or it is pending. */
export type Resolution =
  | { kind: 'granted'; approval: Approval }
  | { kind: 'rejected'; approval: Approval }
  /** `created`: a new pending approval (first ask, or back to pending after expiry/use): notify approvers. */
  | { kind: 'pending'; approval: Approval; created: boolean; expired: boolean };

export interface GrantOptions {
  actor: string;
  uses: number;
  ttlSeconds: number;
  reason: string | null;
}

export type ActionResult = { ok: true; approval: Approval } | { ok: false; error: 'not_found' | 'conflict'; status?: ApprovalStatus };

export interface ListOptions {
  status?: ApprovalStatus;
  limit?: number;
}

/**
 * The shared approval state. Every method is atomic across processes (SQLite transactions, Redis Lua scripts), so
 * workers and replicas sharing one store never double-spend a grant or duplicate a pending approval.
 */
export interface ApprovalStore {
  readonly kind: 'sqlite' | 'redis';
  /** Record an ask (upsert) and, when an unexpired grant with uses left exists, take one use. */
  resolve(ask: ApprovalAsk, now: Date): Promise<Resolution>;
  approve(id: string, opts: GrantOptions, now: Date): Promise<ActionResult>;
  reject(id: string, opts: { actor: string; reason: string | null }, now: Date): Promise<ActionResult>;
  /** Put an expired or used approval back to pending (an approver re-opens it; the agent need not ask again). */
  reopen(id: string, opts: { actor: string; reason: string | null }, now: Date): Promise<ActionResult>;
  /**
   * Delete the approvals that are over (rejected, used, expired) and were last seen before `before`, with their
   * audit events (approvals.retention_seconds). Pending and usable approvals are never pruned. Returns how many.
   */
  prune(before: Date, now: Date): Promise<number>;
  get(id: string, now: Date): Promise<{ approval: Approval; events: ApprovalEvent[] } | undefined>;
  /** Newest activity first. */
  list(opts: ListOptions, now: Date): Promise<Approval[]>;
  /** Recent actions across all approvals, newest first. */
  history(limit: number): Promise<ApprovalEvent[]>;
  counts(now: Date): Promise<Record<ApprovalStatus, number>>;
  close(): Promise<void>;
}

/** The status as read at `now`: an approved grant past its expiry is `expired`. */
export function effectiveStatus(a: Pick<Approval, 'status' | 'expires_at'>, now: Date): ApprovalStatus {
  if (a.status === 'approved' && a.expires_at && Date.parse(a.expires_at) <= now.getTime()) return 'expired';
  return a.status;
}

/** Over: nothing more can happen to it unless the agent asks again (or an approver re-opens it). */
export const isOver = (status: ApprovalStatus): boolean => status === 'rejected' || status === 'used' || status === 'expired';

/** A grant can be used when approved, unexpired and with uses left. */
export function usable(a: Approval, now: Date): boolean {
  return effectiveStatus(a, now) === 'approved' && (a.uses_left ?? 0) > 0;
}

/** The ask matches the stored approval: same agent and same tool list (the id already hashes the arguments). */
export function sameCall(a: Pick<ApprovalAsk, 'agent' | 'tools'>, b: Pick<ApprovalAsk, 'agent' | 'tools'>): boolean {
  return a.agent === b.agent && a.tools.length === b.tools.length && a.tools.every((t, i) => t === b.tools[i]);
}
