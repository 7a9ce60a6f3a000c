// docs/approvals.md, docs/console.md, docs/cli.md and docs/observability.md pinned to the code: every approval
// metric, every admin route of the approvals API and the console, every `approvals` subcommand and flag.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { approvalRoutes } from '../../src/admin/approval-routes.js';
import type { Approvals } from '../../src/approvals/approvals.js';
import { createApprovalMetrics } from '../../src/approvals/approval-metrics.js';
import { openSqliteStore } from '../../src/approvals/sqlite-store.js';
import { APPROVALS_USAGE } from '../../src/cli/approvals.js';
import { DecisionRing } from '../../src/admin/console/decision-feed.js';
import { consoleRoutes } from '../../src/admin/console/routes.js';
import { codeSpans, readDoc, tableRows } from './markdown.js';

/** "GET /v1/approvals/:id" as the docs write it: "GET /v1/approvals/{id}". */
const documented = (route: string) => route.replace(/:(\w+)/g, '{$1}');

describe('approvals and console docs', () => {
  it('every approval metric is in the approvals and observability metric tables', async () => {
    const registry = new Registry();
    const store = openSqliteStore({ path: ':memory:', busyTimeoutMs: 100 });
    createApprovalMetrics(registry, store);
    const names = registry.getMetricsAsArray().map((m) => m.name);
    await store.close();
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const page of ['docs/approvals.md', 'docs/observability.md']) {
      const rows = tableRows(readDoc(page), 'metric').map((r) => codeSpans(r[0] ?? '')[0]);
      expect(
        names.filter((n) => !rows.includes(n)),
        page,
      ).toEqual([]);
    }
    const approvalRows = tableRows(readDoc('docs/approvals.md'), 'metric').map((r) => codeSpans(r[0] ?? '')[0]);
    expect(approvalRows.filter((n) => !names.includes(n!))).toEqual([]);
  });

  it('every approvals API route is in docs/approvals.md, every console route in docs/console.md', async () => {
    const store = openSqliteStore({ path: ':memory:', busyTimeoutMs: 100 });
    const approvals = { store } as unknown as Approvals; // only the route table is read here
    const apiRows = tableRows(readDoc('docs/approvals.md'), 'method and path').map((r) => codeSpans(r[0] ?? '')[0]!.split('?')[0]);
    expect(
      Object.keys(approvalRoutes(approvals))
        .map(documented)
        .filter((r) => !apiRows.includes(r)),
    ).toEqual([]);
    const consoleDoc = readDoc('docs/console.md');
    const consoleRows = tableRows(consoleDoc, 'method and path').map((r) => codeSpans(r[0] ?? '')[0]!.split('?')[0]);
    const routes = Object.keys(
      consoleRoutes({
        ring: new DecisionRing(10),
        dropped: () => 0,
        playground: async () => ({ ok: true, result: {} }),
        suites: () => [],
        runSuite: async () => ({ ok: true, code: 0, output: '' }),
      }),
    ).map(documented);
    const missing = routes.filter(
      (r) =>
        !consoleRows.includes(r) && !consoleDoc.includes(`\`${r}\``) && !r.startsWith('GET /console/app/') && !r.startsWith('GET /console/vendor/'),
    );
    expect(missing).toEqual([]);
    await store.close();
  });

  it('every `approvals` subcommand and flag is in docs/cli.md and docs/approvals.md', () => {
    const flags = [...new Set(APPROVALS_USAGE.match(/--[a-z-]+/g))];
    const subs = ['list', 'show', 'approve', 'reject'];
    for (const page of ['docs/cli.md', 'docs/approvals.md']) {
      const doc = readDoc(page);
      for (const s of subs) expect(doc, `${page}: approvals ${s}`).toContain(`approvals ${s}`);
      for (const f of flags) expect(doc, `${page}: ${f}`).toContain(f);
    }
  });

  it('the decision log documents approved_by', () => {
    const fields = tableRows(readDoc('docs/observability.md'), 'field').flatMap((r) => codeSpans(r[0] ?? ''));
    expect(fields).toEqual(expect.arrayContaining(['approved_by', 'approval_id']));
  });
});
