// The admin API's answers as the console reads them. Type-only: the browser never loads these imports.
import type { Approval, ApprovalEvent } from '../../../approvals/types.js';
import type { CheckSummary } from '../../../check/offline-check.js';
import type { RevisionInfo } from '../../../policy/policy-store.js';
import type { DifferenceGroup, ShadowDifference, ShadowReport } from '../../../shadow/shadow.js';
import type { ConsoleDecision } from '../decision-feed.js';

export type { Approval, ApprovalEvent, ConsoleDecision, DifferenceGroup, RevisionInfo, ShadowDifference };

/** GET /v1/approvals */
export interface ApprovalList {
  approvals: Approval[];
  /** The authenticated admin user (admin_auth), who every action is recorded under; null without authentication. */
  approver?: string | null;
}
/** GET /v1/approvals/history */
export interface ApprovalHistory {
  events: ApprovalEvent[];
}
/** GET /v1/approvals/:id */
export interface ApprovalDetail {
  approval: Approval;
  events: ApprovalEvent[];
}
/** POST /v1/approvals/:id/approve, /reject and /reopen */
export interface ApprovalActionResult {
  approval: Approval;
}
/** GET /v1/decisions */
export interface DecisionList {
  decisions: ConsoleDecision[];
  latest: number;
  size: number;
  /** The bytes the kept decisions are counted as (at most console.buffer_max_bytes). */
  bytes: number;
  dropped: number;
}
/** GET /v1/policies */
export interface PolicyList {
  revisions: RevisionInfo[];
}
/** POST /v1/policies/reload and /rollback: the revision now active. */
export interface PolicyActivated {
  active: string | null;
}
/** POST /v1/playground/check: what `mcp-authz check --json` prints. */
export type CheckResult = CheckSummary;
/** GET /v1/playground/suites */
export interface SuiteList {
  suites: string[];
}
/** POST /v1/playground/cases */
export interface SuiteResult {
  code: number;
  passed: boolean;
  output: string;
}
/** GET /v1/policies/shadow/report: the shadow candidate's differences since it was loaded. */
export type ShadowReportView = ShadowReport & {
  active: string | null;
  /** The admin_auth user every action is recorded under; null without authentication. */
  user: string | null;
};
/** POST /v1/policies/shadow: the status, or 422 {error: {code, message}}. */
export interface ShadowStatus {
  active: string | null;
  candidate: ShadowReport['candidate'];
  differences: number;
}
/** POST /v1/policies/shadow/promote */
export interface ShadowPromoted {
  active: string;
  checks: number;
  differences: number;
}
/** POST /v1/policies/shadow/discard */
export interface ShadowDiscarded {
  discarded: string;
  active: string | null;
}
