import type { Decision, DecisionKind, HeaderEntry } from '../check/types.js';

/**
 * How two answers to the same request differ, most significant first: the candidate failed (`error`), the
 * decision changed (`allow_to_deny`, …, one kind per pair of decisions), the same decision came from another rule
 * or reason code (`rule`), or only the injected headers differ (`headers`).
 */
export const DIFFERENCE_KINDS = [
  'error',
  'allow_to_deny',
  'deny_to_allow',
  'allow_to_require_approval',
  'require_approval_to_allow',
  'require_approval_to_deny',
  'deny_to_require_approval',
  'rule',
  'headers',
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** One side of a comparison, as the report shows it. */
export interface Answer {
  decision: DecisionKind | 'error';
  rule: string | null;
  reason_code: string;
  /** The headers the decision would inject (on an allow: upstream; on a denial: on the denial response), `name: value`. */
  headers: string[];
  message: string | null;
}

/** What the policy said, for comparing: an approved grant (src/approvals) is still the policy's require_approval. */
export function answerOf(d: Decision): Answer {
  return {
    decision: d.approvedBy ? 'require_approval' : d.kind,
    rule: d.rule ?? null,
    reason_code: d.approvedBy ? 'approval_required' : d.reasonCode,
    headers: headerLines(d.headers),
    message: d.message ?? null,
  };
}

/** A candidate that could not answer (threw, timed out, returned no valid decision). */
export function errorAnswer(code: string, message: string): Answer {
  return { decision: 'error', rule: null, reason_code: code, headers: [], message };
}

/** The kind of difference between the active and the candidate answer, or undefined when they agree. */
export function differenceOf(active: Answer, candidate: Answer): DifferenceKind | undefined {
  if (candidate.decision === 'error') return 'error';
  if (active.decision !== candidate.decision && active.decision !== 'error') return `${active.decision}_to_${candidate.decision}` as DifferenceKind;
  if (active.decision !== candidate.decision) return 'error';
  if (active.rule !== candidate.rule || active.reason_code !== candidate.reason_code) return 'rule';
  if (active.headers.join('\n') !== candidate.headers.join('\n')) return 'headers';
  return undefined;
}

function headerLines(headers: HeaderEntry[]): string[] {
  return headers.map((h) => `${h.key.toLowerCase()}: ${h.value}`).sort();
}
