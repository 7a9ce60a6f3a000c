import type { Config } from '../config/schema.js';
import type { ConsoleDecision } from '../admin/console/decision-feed.js';
import type { PolicyArtifact } from '../rego-wasm/index.js';
import type { ShadowReport } from '../shadow/shadow.js';

/**
 * The messages between a cluster primary and its workers (node:cluster IPC, `serialization: 'advanced'`, so
 * policy bytes travel as binary). The primary owns the policy: it loads, compiles or fetches a bundle once and
 * hands workers its artifact (module bytes, data, identity) under the revision's key (policy-store.ts revisionKey).
 * A policy change is two phases: `prepare` on every worker (each instantiates it beside the one serving), then
 * `commit` (each swaps).
 */

/** One revision as the primary hands it out. */
export interface RevisionSpec {
  key: string;
  artifact: PolicyArtifact;
}

/** What a worker sends the primary for the console's live view. */
export interface DecisionMessage {
  type: 'mcp-authz:decision';
  decision: Omit<ConsoleDecision, 'seq'>;
}

/** The shadow candidate as the primary hands it out (src/server/cluster-shadow.ts): every worker shadows the same one. */
export interface ShadowSpec {
  artifact: PolicyArtifact;
  from: string;
  /** ISO time. */
  loadedAt: string;
  loadedBy: string;
}

export type ToWorker =
  | { type: 'mcp-authz:init'; config: Config; origins: Record<string, string>; active: RevisionSpec | null; shadow: ShadowSpec | null }
  | { type: 'mcp-authz:sync'; active: RevisionSpec | null }
  | ({ type: 'mcp-authz:prepare' } & RevisionSpec)
  | { type: 'mcp-authz:abort'; key: string }
  | { type: 'mcp-authz:commit'; key: string | null }
  | { type: 'mcp-authz:metrics'; id: number }
  | { type: 'mcp-authz:shadow'; id: number; candidate: ShadowSpec | null }
  | { type: 'mcp-authz:shadow-report'; id: number; limit?: number }
  | { type: 'mcp-authz:shutdown' };

export type FromWorker =
  | { type: 'mcp-authz:ready'; grpcPort: number }
  | { type: 'mcp-authz:failed'; code: string; message: string; details: string[]; authz: boolean }
  | { type: 'mcp-authz:prepared'; key: string; ok: boolean; error?: string }
  | { type: 'mcp-authz:committed'; key: string | null; ok: boolean; error?: string }
  | { type: 'mcp-authz:synced'; ok: boolean; error?: string }
  | { type: 'mcp-authz:metrics'; id: number; metrics: unknown[] }
  | { type: 'mcp-authz:shadowed'; id: number; ok: boolean; error?: string }
  | { type: 'mcp-authz:shadow-report'; id: number; report: ShadowReport }
  | { type: 'mcp-authz:stopped'; drained: boolean }
  /** A decision sampled for the console (src/server/cluster-console.ts gathers them). */
  | DecisionMessage;

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return (
    typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('mcp-authz:')
  );
}
