import { REASON } from '../shared/errors.js';
import { APPROVAL_ID_HEADER } from '../shared/headers.js';
import type { Decision, JsonObject, PolicyInput } from '../check/types.js';
import type { Redactor } from '../observability/redact.js';
import { approvalAsk } from './ask.js';
import type { Approval, ApprovalStore } from './types.js';

export interface GateEvents {
  /** A new pending approval (first ask, or back to pending after its grant expired or was used up). */
  pending(approval: Approval, expired: boolean): void;
  /** A grant use was taken: the check is allowed. */
  used(approval: Approval): void;
  rejected(approval: Approval): void;
  /** The store failed: the check keeps its require_approval (fail closed). */
  storeError(err: Error): void;
}

/**
 * The approval step of the check, after the validated decision. It only ever looks at `require_approval`
 * decisions that carry an approval id: an allow or a deny passes through untouched, so a grant can never turn a
 * deny into an allow. The stored approval must be for the same agent and tools (and the id hashes the arguments).
 * A store error leaves the decision as it was: require_approval, a denial.
 */
export function createApprovalGate(store: ApprovalStore, redactor: Redactor, events: GateEvents, clock: () => Date = () => new Date()) {
  return async (decision: Decision, input: PolicyInput, revision: string | undefined): Promise<Decision> => {
    if (decision.kind !== 'require_approval' || decision.allowed || !decision.approvalId) return decision;
    try {
      const r = await store.resolve(approvalAsk(input, decision, revision, redactor), clock());
      if (r.kind === 'granted') {
        events.used(r.approval);
        return grantedDecision(decision, r.approval);
      }
      if (r.kind === 'rejected') {
        events.rejected(r.approval);
        return rejectedDecision(decision, r.approval);
      }
      if (r.created) events.pending(r.approval, r.expired);
      return decision;
    } catch (err) {
      events.storeError(err as Error);
      return decision;
    }
  };
}

/** require_approval → allow: the approval named in a header and in dynamic metadata; the policy's rule kept. */
export function grantedDecision(d: Decision, a: Approval): Decision {
  const by = a.decided_by ?? 'unknown';
  const metadata: JsonObject = { ...(d.dynamicMetadata ?? {}), decision: 'allow', approval_id: a.id, approved_by: by };
  return {
    allowed: true,
    kind: 'allow',
    reasonCode: REASON.approvalGranted,
    httpStatus: d.httpStatus,
    headers: [{ key: APPROVAL_ID_HEADER, value: a.id, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
    dynamicMetadata: metadata,
    ...(d.rule ? { rule: d.rule } : {}),
    message: `approved by ${by}`,
    approvalId: a.id,
    approvedBy: by,
  };
}

/** require_approval → deny with rule approval_rejected, who rejected it and why. */
export function rejectedDecision(d: Decision, a: Approval): Decision {
  const message = `approval ${a.id} was rejected by ${a.decided_by ?? 'unknown'}${a.reason ? `: ${a.reason}` : ''}`;
  return {
    ...d,
    allowed: false,
    kind: 'deny',
    reasonCode: REASON.approvalRejected,
    headers: [
      ...d.headers.filter((h) => h.key.toLowerCase() !== 'content-type'),
      { key: 'content-type', value: 'application/json', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ],
    body: JSON.stringify({ error: 'approval_rejected', rule: 'approval_rejected', message, approval_id: a.id }),
    rule: 'approval_rejected',
    message,
    ...(d.dynamicMetadata ? { dynamicMetadata: { ...d.dynamicMetadata, decision: 'deny', rule: 'approval_rejected' } } : {}),
  };
}
