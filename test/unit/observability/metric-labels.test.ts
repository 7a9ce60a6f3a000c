import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MAX_LABEL_VALUES, metricLabelSets, PACK_RULES } from '../../../src/observability/metric-labels.js';
import { type CheckRecord, createMetrics } from '../../../src/observability/metrics.js';
import { version } from '../../../src/shared/version.js';
import { parseExposition, samplesOf, sampleValue } from './prom-text.js';

const root = join(import.meta.dirname, '..', '..', '..');
const firewall = parseYaml(readFileSync(join(root, 'rego/examples/action-firewall/data.yaml'), 'utf8')) as unknown;

const check = (over: Partial<CheckRecord>): CheckRecord => ({
  decision: 'deny',
  mode: 'enforce',
  mcpMethod: 'tools/call',
  reasonCode: 'policy_denied',
  tool: undefined,
  durationSeconds: 0.001,
  ...over,
});

describe('metric label sets from the policy data', () => {
  it('PACK_RULES is every rule name the pack Rego decides with', () => {
    const rego = readdirSync(join(root, 'rego'))
      .filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'))
      .map((f) => readFileSync(join(root, 'rego', f), 'utf8'))
      .join('\n');
    const inRego = new Set<string>();
    for (const m of rego.matchAll(/\bv\(\s*"([a-z_]+)"/g)) inRego.add(m[1]!);
    for (const m of rego.matchAll(/"rule": "([a-z_]+)"/g)) inRego.add(m[1]!);
    for (const m of rego.matchAll(/\bv\(\s*object\.get\([a-z]+, "name", "([a-z_]+)"\)/g)) inRego.add(m[1]!);
    expect([...inRego].sort()).toEqual([...PACK_RULES].sort());
  });

  it("takes the tools and rules the action-firewall example's data names", () => {
    const sets = metricLabelSets(firewall, ['fetch_url']);
    expect(sets.tools.sort()).toEqual(['create_payment', 'fetch_url', 'http_proxy']);
    for (const r of ['large-payment', 'no-card-or-ssn', 'no-secrets', 'business-hours', ...PACK_RULES]) expect(sets.rules).toContain(r);
  });

  it('reads every place the pack names a tool, and the names a gateway prefixes with a server', () => {
    const data = {
      mcp_authz: {
        url_tools: ['a'],
        urls: { tools: { b: { allow: [] } } },
        agents: { bot: { tools: ['c'], registries: { web: ['d'] } } },
        tool_policies: [{ name: 'p', tools: ['e'], rules: [{ name: 'r1' }], required_claims: [{ claim: 'org.team', message: 'm' }] }],
        pii: [{ name: 'pii-1', tools: ['f'], types: ['ssn'] }],
        roles: { tools: { g: { roles: ['admin'] } } },
        business_hours: [{ tools: ['h'] }],
        servers: ['web'],
        tool_separators: ['.'],
      },
      other_package: { tools: ['not-a-pack-tool'] },
    };
    const sets = metricLabelSets(data);
    const bare = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(sets.tools.sort()).toEqual([...bare, ...bare.map((t) => `web.${t}`)].sort());
    expect(sets.rules).toEqual(expect.arrayContaining(['r1', 'required_claim:org.team', 'pii-1']));
  });

  it('is bounded, and never takes none or other', () => {
    const many = { mcp_authz: { url_tools: Array.from({ length: 5000 }, (_, i) => `t${i}`) } };
    expect(metricLabelSets(many, ['none', 'other']).tools).toHaveLength(MAX_LABEL_VALUES);
    expect(metricLabelSets(many, ['none', 'other']).tools).not.toContain('none');
    expect(metricLabelSets(undefined).tools).toEqual([]);
    expect(metricLabelSets('not an object').rules.sort()).toEqual([...PACK_RULES].sort());
  });
});

describe('metrics an SRE can alert on', () => {
  it('labels tools from the active policy data, and changes with it', async () => {
    const m = createMetrics({ collectDefaults: false, knownTools: ['fetch_url'] });
    m.recordCheck(check({ tool: 'http_proxy' }));
    m.setPolicy('rev-1', 'embedded', JSON.stringify(firewall));
    m.recordCheck(check({ tool: 'http_proxy' }));
    m.recordCheck(check({ tool: 'fetch_url' }));
    m.recordCheck(check({ tool: 'invented' }));
    m.setPolicy('rev-2', 'embedded', JSON.stringify({}));
    m.recordCheck(check({ tool: 'http_proxy' })); // no longer named by the data
    const e = parseExposition(await m.metricsText());
    const byTool = (tool: string) =>
      sampleValue(e, 'mcp_authz_checks_total', { decision: 'deny', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'policy_denied', tool });
    expect(byTool('http_proxy')).toBe(1);
    expect(byTool('fetch_url')).toBe(1);
    expect(byTool('other')).toBe(3);
  });

  it('counts denials, approval requests and audit would-denies by rule; unknown rules fold to other', async () => {
    const m = createMetrics({ collectDefaults: false });
    m.setPolicy('rev-1', 'embedded', JSON.stringify(firewall));
    m.recordCheck(check({ rule: 'url_not_allowed' }));
    m.recordCheck(check({ rule: 'url_not_allowed' }));
    m.recordCheck(check({ decision: 'require_approval', reasonCode: 'approval_required', rule: 'large-payment' }));
    m.recordCheck(check({ decision: 'allow', mode: 'audit', reasonCode: 'allowed', rule: 'metadata_endpoint', wouldDeny: true }));
    m.recordCheck(check({ rule: 'a rule from a request: attacker-chosen' }));
    m.recordCheck(check({ rule: undefined, reasonCode: 'body_invalid_json' }));
    m.recordCheck(check({ decision: 'allow', reasonCode: 'allowed', rule: 'url_not_allowed' })); // an allow is no denial
    m.recordCheck(check({ decision: 'error', reasonCode: 'policy_eval_error', rule: 'url_not_allowed' })); // counted in checks_total only
    const e = parseExposition(await m.metricsText());
    expect(e.types.get('mcp_authz_denials_total')).toBe('counter');
    expect(
      samplesOf(e, 'mcp_authz_denials_total')
        .map((s) => `${s.labels.decision} ${s.labels.mode} ${s.labels.rule} ${s.value}`)
        .sort(),
    ).toEqual([
      'deny audit metadata_endpoint 1',
      'deny enforce none 1',
      'deny enforce other 1',
      'deny enforce url_not_allowed 2',
      'require_approval enforce large-payment 1',
    ]);
  });

  it('splits the latency histogram by cache answer', async () => {
    const m = createMetrics({ collectDefaults: false });
    m.recordCheck(check({ cache: 'hit', durationSeconds: 0.0001 }));
    m.recordCheck(check({ cache: 'hit', durationSeconds: 0.0001 }));
    m.recordCheck(check({ cache: 'miss', durationSeconds: 0.002 }));
    m.recordCheck(check({ cache: 'bypass', durationSeconds: 0.003 }));
    m.recordCheck(check({ durationSeconds: 0.004 }));
    const e = parseExposition(await m.metricsText());
    const count = (cache: string) => sampleValue(e, 'mcp_authz_check_duration_seconds_count', { cache });
    expect([count('hit'), count('miss'), count('bypass'), count('off')]).toEqual([2, 1, 1, 1]);
    expect(sampleValue(e, 'mcp_authz_check_duration_seconds_bucket', { cache: 'hit', le: '0.00025' })).toBe(2);
  });

  it('exports mcp_authz_build_info 1 with the version', async () => {
    const e = parseExposition(await createMetrics({ collectDefaults: false }).metricsText());
    expect(samplesOf(e, 'mcp_authz_build_info')).toEqual([
      { name: 'mcp_authz_build_info', labels: { version: version(), node_version: process.versions.node }, value: 1 },
    ]);
  });

  describe('policy_seconds_since_last_success', () => {
    const clock = () => {
      let t = 1_800_000_000_000;
      return { now: () => t, advance: (s: number) => (t += s * 1000) };
    };
    const since = async (m: ReturnType<typeof createMetrics>) =>
      sampleValue(parseExposition(await m.metricsText()), 'mcp_authz_policy_seconds_since_last_success');

    it('stays 0 on a healthy idle pod with a local policy, and counts from the last success after a failed reload', async () => {
      const c = clock();
      const m = createMetrics({ collectDefaults: false, now: c.now });
      c.advance(5);
      expect(await since(m)).toBe(5); // nothing loaded yet: since start
      m.setPolicy('rev-1', '/policy', '{}');
      c.advance(3600); // an hour idle: the documented `> 600` alert must not fire
      expect(await since(m)).toBe(0);
      m.recordReload(false);
      c.advance(700);
      expect(await since(m)).toBe(3600 + 700);
      m.recordReload(true); // an unchanged or new policy loaded again
      c.advance(10);
      expect(await since(m)).toBe(0);
    });

    it('counts from the last successful poll with a remote bundle; an unchanged bundle is a success', async () => {
      const c = clock();
      const m = createMetrics({ collectDefaults: false, now: c.now, remotePolicy: true });
      m.setPolicy('rev-1', 'https://bundles.example/b.tar.gz', '{}');
      c.advance(60);
      expect(await since(m)).toBe(60);
      m.recordPolicyUnchanged();
      c.advance(30);
      expect(await since(m)).toBe(30);
      const last = sampleValue(parseExposition(await m.metricsText()), 'mcp_authz_policy_last_success_timestamp_seconds');
      expect(last).toBe(c.now() / 1000 - 30);
      m.recordReload(false); // the bundle server is down
      c.advance(600);
      expect(await since(m)).toBe(630);
    });
  });
});
