import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validatePackConfig } from '../../../src/pack/pack-config.js';
import { repoRoot } from '../../helpers/tools.js';

const examples = join(repoRoot, 'rego/examples');
const files = (readdirSync(examples, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(examples, f));

/** A document that uses every key of the schema once. */
const EVERY_KEY = {
  mode: 'enforce',
  denial_format: 'jsonrpc',
  jsonrpc_error_code: -32001,
  jsonrpc_approval_code: -32002,
  approval_http_status: 428,
  approved_hosts: ['httpbin.org', '*.weather.gov', '2001:db8::1'],
  url_tools: ['fetch_url'],
  urls: {
    mode: 'audit',
    deny_private: true,
    deny_ambiguous: true,
    deny_userinfo: true,
    deny_internal_hosts: true,
    blocked_ip_classes: ['loopback', 'private'],
    internal_hosts: ['localhost', '*.corp'],
    blocked_schemes: ['file', 'gopher'],
    tools: {
      http_get: { allow: [{ host: 'api.github.com', path_prefix: '/repos/acme', scheme: 'https', ports: [443, 8443], allow_private: false }] },
    },
  },
  servers: ['customer-tools', 'weather'],
  tool_separators: ['__', '_'],
  default_server: 'customer-tools',
  agents: {
    'support-agent': { mode: 'allowlist', tools: ['ping'], registries: { 'customer-tools': ['lookup_order'] } },
    '*': { mode: 'denylist', tools: ['delete_account'] },
  },
  unknown_agents: 'deny',
  tool_access_mode: 'audit',
  claim_headers: [{ claim: 'team', header: 'X-Authz-Claim-Team' }],
  header_value_max_length: 128,
  tool_policies: [
    {
      name: 'refunds',
      mode: 'audit',
      registry: 'customer-tools',
      tools: ['process_refund'],
      required_claims: [{ claim: 'org.team', message: 'Team claim is required', values: ['billing'] }],
      required_scopes: ['refunds:write'],
      rules: [
        { name: 'cap', max: { argument: 'amount', value: 500 }, message: 'too much' },
        { name: 'floor', min: { argument: 'amount', value: 1 }, message: 'too little' },
        { name: 'ask', approval_above: { argument: 'amount', value: 100 }, message: 'ask first' },
        { name: 'why', required: 'reason', message: 'why?' },
        { name: 'cur', one_of: { argument: 'body.currency', values: ['usd'] }, message: 'usd only' },
        { name: 'geo', none_of: { argument: 'country', values: ['kp'] }, action: 'deny', message: 'no' },
      ],
      headers: [
        { header: 'X-Processed-By', claim: 'team' },
        { header: 'X-Gateway', value: 'mcp-authz' },
        { header: 'X-Agent', identity: 'agent' },
      ],
    },
  ],
  pii: [
    {
      name: 'no-cards',
      mode: 'enforce',
      tools: ['create_payment'],
      types: ['credit_card', 'ssn'],
      action: 'require_approval',
      except_roles: ['admin'],
      message: 'no cards',
    },
  ],
  roles: {
    mode: 'enforce',
    unlisted_tools: 'deny',
    tools: { get_customer_details: { roles: ['admin'], restricted: { argument: 'fields', values: ['email'], roles: ['admin'] } } },
  },
  business_hours: [
    {
      name: 'office',
      mode: 'audit',
      registry: 'weather',
      timezone: 'Europe/Paris',
      days: ['Monday'],
      start_hour: 8,
      end_hour: 18,
      message: 'closed',
    },
  ],
  custom: { blocked_cities: ['Moscow'] },
};

describe('guardrails data schema', () => {
  it.each(files)('accepts example %s', (file) => {
    const doc = parse(readFileSync(file, 'utf8'));
    expect(validatePackConfig(doc.mcp_authz)).toEqual([]);
  });

  it('accepts no configuration, an empty one, and one with every key', () => {
    expect(validatePackConfig(undefined)).toEqual([]);
    expect(validatePackConfig({})).toEqual([]);
    expect(validatePackConfig(EVERY_KEY)).toEqual([]);
  });

  it('reports every problem with its path', () => {
    const problems = validatePackConfig({
      mode: 'strict',
      surprise: true,
      tool_policies: [
        {
          name: 'p',
          rules: [
            { name: 'r', message: 'm' },
            { name: 'x', message: 'm', max: { argument: 'a', value: '500' } },
          ],
        },
      ],
      business_hours: [{ timezone: 'Mars/Olympus', days: ['Funday'], start_hour: 18, end_hour: 9 }],
      claim_headers: [{ claim: 'team', header: 'X Team' }],
      pii: [{ types: ['dna'] }],
    });
    const text = problems.join('\n');
    expect(text).toContain('data.mcp_authz.mode');
    expect(text).toMatch(/surprise/);
    expect(text).toContain(
      'data.mcp_authz.tool_policies[0].rules[0]: a rule needs exactly one of max, min, approval_above, required, one_of, none_of',
    );
    expect(text).toContain('data.mcp_authz.tool_policies[0].rules[1].max.value');
    expect(text).toContain('data.mcp_authz.business_hours[0].timezone');
    expect(text).toContain('data.mcp_authz.business_hours[0].days[0]');
    expect(text).toContain('data.mcp_authz.claim_headers[0].header');
    expect(text).toContain('data.mcp_authz.pii[0].types[0]');
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  it('takes time zones as Go loads them: IANA names and links spelled exactly', () => {
    const tz = (timezone: string) => validatePackConfig({ business_hours: [{ timezone, days: ['Monday'], start_hour: 9, end_hour: 17 }] });
    for (const ok of ['America/New_York', 'US/Eastern', 'EST', 'Asia/Calcutta', 'Europe/Kyiv', 'UTC']) expect(tz(ok), ok).toEqual([]);
    for (const bad of ['est', 'us/eastern', 'america/new_york', '+05:00', 'Mars/Olympus'])
      expect(tz(bad).join('\n'), bad).toContain('data.mcp_authz.business_hours[0].timezone: must be an IANA time zone spelled exactly');
  });

  it('rejects hosts that would never match a canonical URL fact', () => {
    const problems = validatePackConfig({
      approved_hosts: ['https://httpbin.org', 'HTTPBIN.ORG', 'httpbin.org.', 'httpbin.org:443', 'httpbin.org/get', 'a.*.com'],
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([0, 1, 2, 3, 4, 5].map((i) => `data.mcp_authz.approved_hosts[${i}]`));
    expect(problems[0]).toMatch(/canonical host/);
  });

  it('rejects bad URL allow entries and schemes', () => {
    const problems = validatePackConfig({
      urls: {
        blocked_schemes: ['file://'],
        internal_hosts: ['Corp'],
        tools: { t: { allow: [{ host: 'a.com', path_prefix: 'repos', ports: [0], private: true }] } },
      },
    }).join('\n');
    expect(problems).toContain('data.mcp_authz.urls.blocked_schemes[0]: must be a lower-case URL scheme');
    expect(problems).toContain('data.mcp_authz.urls.internal_hosts[0]');
    expect(problems).toContain('data.mcp_authz.urls.tools.t.allow[0].path_prefix');
    expect(problems).toContain('data.mcp_authz.urls.tools.t.allow[0].ports[0]');
    expect(problems).toMatch(/data\.mcp_authz\.urls\.tools\.t\.allow\[0\].*private/);
  });

  it('rejects reserved or malformed injected headers', () => {
    const problems = validatePackConfig({
      claim_headers: [{ claim: 'team', header: 'Authorization' }],
      tool_policies: [
        {
          name: 'p',
          headers: [
            { header: 'Host', value: 'evil' },
            { header: 'X-A', value: 'a\r\nX-Admin: 1' },
            { header: 'X-B' },
            { header: 'X-C', value: 'v', claim: 'team' },
            { header: 'x-mcp-authz-decision', value: 'allow' },
          ],
        },
      ],
    }).join('\n');
    expect(problems).toContain('data.mcp_authz.claim_headers[0].header: is reserved');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].headers[0].header: is reserved');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].headers[1].value: must not contain control characters');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].headers[2]: a header needs exactly one of value, claim, identity');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].headers[3]: a header needs exactly one of value, claim, identity');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].headers[4].header: is reserved');
  });

  it('rejects registries and a default server that are not in servers', () => {
    const problems = validatePackConfig({
      servers: ['customer-tools'],
      default_server: 'weather',
      agents: { 'support-agent': { registries: { 'custmer-tools': ['lookup_order'] } } },
      tool_policies: [{ name: 'p', registry: 'customer_tools' }],
      pii: [{ types: ['ssn'], registry: 'x' }],
      business_hours: [{ registry: 'y', timezone: 'UTC', days: ['Monday'], start_hour: 9, end_hour: 17 }],
    });
    expect(problems).toEqual([
      'data.mcp_authz.default_server: must be one of servers',
      'data.mcp_authz.tool_policies[0].registry: registry "customer_tools" is not in servers, so it never matches',
      'data.mcp_authz.pii[0].registry: registry "x" is not in servers, so it never matches',
      'data.mcp_authz.business_hours[0].registry: registry "y" is not in servers, so it never matches',
      'data.mcp_authz.agents["support-agent"].registries["custmer-tools"]: registry "custmer-tools" is not in servers, so it never matches',
    ]);
  });

  it('rejects bad argument paths, rule actions and JSON-RPC codes', () => {
    const problems = validatePackConfig({
      jsonrpc_error_code: -32700,
      approval_http_status: 200,
      tool_policies: [
        {
          name: 'p',
          rules: [
            { name: 'a', max: { argument: 'body..amount', value: 1 }, message: 'm' },
            { name: 'b', required: 'reason', action: 'warn', message: 'm' },
            { name: 'c', one_of: { argument: 'x', values: [] }, message: 'm' },
          ],
        },
      ],
      roles: { unlisted_tools: 'maybe', tools: {} },
    }).join('\n');
    expect(problems).toContain('data.mcp_authz.jsonrpc_error_code');
    expect(problems).toContain('data.mcp_authz.approval_http_status');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].rules[0].max.argument: must be an argument name');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].rules[1].action');
    expect(problems).toContain('data.mcp_authz.tool_policies[0].rules[2].one_of.values');
    expect(problems).toContain('data.mcp_authz.roles.unlisted_tools');
  });

  it('rejects a document that is not an object', () => {
    expect(validatePackConfig(['fetch_url'])).toEqual([expect.stringMatching(/^data\.mcp_authz: /)]);
    expect(validatePackConfig(null)).toEqual([expect.stringMatching(/^data\.mcp_authz: /)]);
  });
});
