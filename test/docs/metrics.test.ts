import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { codeSpans, readDoc, root, tableRows } from './markdown.js';

// Metrics are pinned both ways: every metric the code registers is documented in docs/observability.md (with
// the labels it really has), every documented metric exists, and the alert rules read only documented metrics and
// say what the page's alert table says.

const doc = readDoc('docs/observability.md');
const metricRows = tableRows(doc, 'metric').filter((r) => codeSpans(r[0] ?? '')[0]?.startsWith('mcp_authz_'));
const documented = new Map(metricRows.map((r) => [codeSpans(r[0]!)[0]!, r]));

/** Every `name: 'mcp_authz_…'` (and the cache size gauges) registered anywhere in src/. */
function metricsInSource(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/(?:name: |sizeGauge\()'(mcp_authz_[a-z_]+)'/g)) names.add(m[1]!);
      }
    }
  };
  visit(join(root, 'src'));
  return names;
}

describe('metrics in docs/observability.md', () => {
  it('documents every metric the code registers, and only those', () => {
    expect([...documented.keys()].sort()).toEqual([...metricsInSource()].sort());
  });

  it("documents each core metric's type and labels as the registry has them", () => {
    const m = createMetrics({ collectDefaults: false });
    const registered = m.registry.getMetricsAsArray();
    expect(registered.length).toBeGreaterThan(10);
    for (const metric of registered as unknown as { name: string; type: string; labelNames: string[] }[]) {
      const { name, type } = metric;
      const row = documented.get(name);
      expect(row, name).toBeDefined();
      expect(`${name}: ${row![1]}`).toBe(`${name}: ${type}`);
      // The labels column names each label; documented values (`success`, `hit`, …) follow in parentheses.
      const named = (row![2] ?? '').replace(/\([^)]*\)/g, '');
      expect(`${name}: ${codeSpans(named).sort().join(',')}`).toBe(`${name}: ${[...metric.labelNames].sort().join(',')}`);
    }
  });
});

describe('alert rules (manifests/monitoring/prometheusrule.yaml)', () => {
  const rule = parse(readFileSync(join(root, 'manifests/monitoring/prometheusrule.yaml'), 'utf8')) as {
    kind: string;
    spec: { groups: { rules: { alert: string; expr: string; for: string }[] }[] };
  };
  const alerts = rule.spec.groups.flatMap((g) => g.rules);

  it('is a PrometheusRule whose every alert reads only documented metrics', () => {
    expect(rule.kind).toBe('PrometheusRule');
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    for (const a of alerts) {
      const used = [...a.expr.matchAll(/\b(mcp_authz_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));
      expect(used.length, a.alert).toBeGreaterThan(0);
      for (const metric of used) expect(documented.has(metric), `${a.alert} reads ${metric}`).toBe(true);
    }
  });

  it('says what the alert table in docs/observability.md says, alert by alert', () => {
    const rows = tableRows(doc, 'alert').map((r) => ({ alert: codeSpans(r[0]!)[0], expr: codeSpans(r[1]!)[0], for: r[2] }));
    expect(rows).toEqual(alerts.map((a) => ({ alert: a.alert, expr: a.expr, for: a.for })));
  });

  it('alerts on a stale policy at > 600 s, which a healthy idle pod never reaches (test/unit/observability/metric-labels.test.ts)', () => {
    const stale = alerts.find((a) => a.alert === 'McpAuthzPolicyStale');
    expect(stale?.expr).toMatch(/mcp_authz_policy_seconds_since_last_success\) > 600$/);
  });
});
