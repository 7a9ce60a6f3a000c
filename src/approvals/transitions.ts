import {
  type ActionResult,
  type Approval,
  type ApprovalAction,
  type ApprovalAsk,
  type ApprovalEvent,
  effectiveStatus,
  type GrantOptions,
  type Resolution,
  sameCall,
  usable,
} from './types.js';

/** The new state of one approval and the audit events to append, computed from the current state. Pure. */
export interface Change {
  next: Approval;
  events: ApprovalEvent[];
}

export type AskOutcome = { resolution: Resolution; change?: Change };
export type ActionOutcome = { result: ActionResult; change?: Change };

const event = (id: string, at: string, action: ApprovalAction, actor: string | null, extra: Partial<ApprovalEvent> = {}): ApprovalEvent => ({
  approval_id: id,
  at,
  action,
  actor,
  reason: null,
  uses: null,
  ttl_seconds: null,
  ...extra,
});

const NO_GRANT = { decided_by: null, decided_at: null, reason: null, uses_granted: null, uses_left: null, expires_at: null } as const;

/**
 * One ask (a check that ended in require_approval) against the stored approval:
 *   none            → new pending (notify)
 *   pending         → still pending; last seen and ask count move
 *   rejected        → rejected (the check is denied with rule approval_rejected)
 *   approved+usable → one use taken (the last one turns it `used`): the check is allowed
 *   expired / used  → back to pending (notify), as a fresh request
 * An ask whose agent or tools differ from the stored ones never matches (the id hashes the arguments too).
 */
export function onAsk(cur: Approval | undefined, ask: ApprovalAsk, now: Date): AskOutcome {
  const at = now.toISOString();
  const seen = { last_seen: at, rule: ask.rule, message: ask.message, revision: ask.revision };
  if (!cur) {
    const next: Approval = { ...ask, status: 'pending', first_seen: at, last_seen: at, ask_count: 1, ...NO_GRANT };
    return {
      resolution: { kind: 'pending', approval: next, created: true, expired: false },
      change: { next, events: [event(ask.id, at, 'requested', ask.agent)] },
    };
  }
  if (!sameCall(cur, ask)) return { resolution: { kind: 'pending', approval: cur, created: false, expired: false } };
  const status = effectiveStatus(cur, now);
  if (status === 'pending') {
    const next: Approval = { ...cur, ...seen, ask_count: cur.ask_count + 1 };
    return { resolution: { kind: 'pending', approval: next, created: false, expired: false }, change: { next, events: [] } };
  }
  if (status === 'rejected') {
    const next: Approval = { ...cur, last_seen: at, ask_count: cur.ask_count + 1 };
    return { resolution: { kind: 'rejected', approval: next }, change: { next, events: [] } };
  }
  if (usable(cur, now)) {
    const left = (cur.uses_left ?? 1) - 1;
    const next: Approval = { ...cur, last_seen: at, ask_count: cur.ask_count + 1, uses_left: left, status: left > 0 ? 'approved' : 'used' };
    return { resolution: { kind: 'granted', approval: next }, change: { next, events: [event(cur.id, at, 'used', ask.agent, { uses: left })] } };
  }
  // expired, used, or approved with no uses left: a fresh request
  const expired = status === 'expired';
  const next: Approval = { ...cur, ...seen, status: 'pending', ask_count: cur.ask_count + 1, ...NO_GRANT };
  const events = [...(expired ? [event(cur.id, at, 'expired', 'system')] : []), event(cur.id, at, 'requested', ask.agent)];
  return { resolution: { kind: 'pending', approval: next, created: true, expired }, change: { next, events } };
}

/** Approve a pending approval: `uses` checks may pass within `ttlSeconds`. */
export function onApprove(cur: Approval | undefined, opts: GrantOptions, now: Date): ActionOutcome {
  if (!cur) return { result: { ok: false, error: 'not_found' } };
  const status = effectiveStatus(cur, now);
  if (status !== 'pending') return { result: { ok: false, error: 'conflict', status } };
  const at = now.toISOString();
  const next: Approval = {
    ...cur,
    status: 'approved',
    decided_by: opts.actor,
    decided_at: at,
    reason: opts.reason,
    uses_granted: opts.uses,
    uses_left: opts.uses,
    expires_at: new Date(now.getTime() + opts.ttlSeconds * 1000).toISOString(),
  };
  return {
    result: { ok: true, approval: next },
    change: { next, events: [event(cur.id, at, 'approved', opts.actor, { reason: opts.reason, uses: opts.uses, ttl_seconds: opts.ttlSeconds })] },
  };
}

/** Reject a pending approval, or revoke an approved grant that still has uses. */
export function onReject(cur: Approval | undefined, opts: { actor: string; reason: string | null }, now: Date): ActionOutcome {
  if (!cur) return { result: { ok: false, error: 'not_found' } };
  const status = effectiveStatus(cur, now);
  if (status !== 'pending' && status !== 'approved') return { result: { ok: false, error: 'conflict', status } };
  const at = now.toISOString();
  const next: Approval = { ...cur, ...NO_GRANT, status: 'rejected', decided_by: opts.actor, decided_at: at, reason: opts.reason };
  return { result: { ok: true, approval: next }, change: { next, events: [event(cur.id, at, 'rejected', opts.actor, { reason: opts.reason })] } };
}

/**
 * Re-open an expired or used approval: pending again, with the same calls, as if the agent had asked once more
 * (the next ask then finds it pending, and an approver can approve it). Anything else is a conflict.
 */
export function onReopen(cur: Approval | undefined, opts: { actor: string; reason: string | null }, now: Date): ActionOutcome {
  if (!cur) return { result: { ok: false, error: 'not_found' } };
  const status = effectiveStatus(cur, now);
  if (status !== 'expired' && status !== 'used') return { result: { ok: false, error: 'conflict', status } };
  const at = now.toISOString();
  const next: Approval = { ...cur, ...NO_GRANT, status: 'pending', last_seen: at };
  const events = [
    ...(status === 'expired' ? [event(cur.id, at, 'expired', 'system')] : []),
    event(cur.id, at, 'reopened', opts.actor, { reason: opts.reason }),
  ];
  return { result: { ok: true, approval: next }, change: { next, events } };
}

/** The approval as read at `now` (an approved grant past its expiry reads `expired`). */
export const asRead = (a: Approval, now: Date): Approval => ({ ...a, status: effectiveStatus(a, now) });
