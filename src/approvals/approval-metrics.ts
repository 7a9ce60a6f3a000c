import { Counter, Gauge, type Registry } from 'prom-client';
import { APPROVAL_ACTIONS, type ApprovalAction, type ApprovalStatus, type ApprovalStore } from './types.js';

export interface ApprovalMetrics {
  /** An action this process took or saw: requested (new pending), approved, rejected, expired, used (a grant use). */
  event(action: ApprovalAction): void;
  webhookFailure(): void;
  storeError(): void;
  pruned(n: number): void;
}

/**
 * Approval metrics on the server's registry:
 *   mcp_authz_approvals{status}                      approvals in the shared store, by status (read at scrape)
 *   mcp_authz_approval_events_total{event}           requested, approved, rejected, expired, used (this process)
 *   mcp_authz_approval_grants_used_total             checks allowed by an approved grant (this process)
 *   mcp_authz_approval_webhook_failures_total        notifications given up after every retry
 *   mcp_authz_approval_store_errors_total            store failures on the check path (the check stays denied)
 *   mcp_authz_approvals_pruned_total                 approvals deleted by approvals.retention_seconds (this process)
 */
export function createApprovalMetrics(registry: Registry, store: ApprovalStore): ApprovalMetrics {
  new Gauge({
    name: 'mcp_authz_approvals',
    help: 'Approvals in the shared store, by status (pending, approved, rejected, used, expired).',
    labelNames: ['status'] as const,
    registers: [registry],
    // Every process of a cluster reads the same store: aggregated, the count is one store's, not a sum.
    aggregator: 'max',
    async collect() {
      try {
        const counts = await store.counts(new Date());
        for (const [status, n] of Object.entries(counts) as [ApprovalStatus, number][]) this.set({ status }, n);
      } catch {
        // an unreachable store must not fail the scrape; mcp_authz_approval_store_errors_total tells
      }
    },
  });
  const events = new Counter({
    name: 'mcp_authz_approval_events_total',
    help: 'Approval events handled by this process, by event.',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  for (const e of APPROVAL_ACTIONS) events.inc({ event: e }, 0);
  const used = new Counter({
    name: 'mcp_authz_approval_grants_used_total',
    help: 'Checks allowed by an approved grant (each takes one use).',
    registers: [registry],
  });
  const webhook = new Counter({
    name: 'mcp_authz_approval_webhook_failures_total',
    help: 'Approval notifications given up after every retry.',
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'mcp_authz_approval_store_errors_total',
    help: 'Approval store failures on the check path (the check stays require_approval).',
    registers: [registry],
  });
  const pruned = new Counter({
    name: 'mcp_authz_approvals_pruned_total',
    help: 'Approvals that were over and older than approvals.retention_seconds, deleted with their audit events.',
    registers: [registry],
  });
  return {
    pruned: (n) => pruned.inc(n),
    event(action) {
      events.inc({ event: action });
      if (action === 'used') used.inc();
    },
    webhookFailure: () => webhook.inc(),
    storeError: () => storeErrors.inc(),
  };
}
