import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validatePackConfig } from '../../../src/policy/pack-config.js';
import { repoRoot } from '../../helpers/tools.js';

const examples = join(repoRoot, 'rego/examples');
const files = (readdirSync(examples, { recursive: true }) as string[]).filter((f) => f.endsWith('.yaml')).map((f) => join(examples, f));

describe('guardrails data schema', () => {
  it.each(files)('accepts example %s', (file) => {
    const doc = parse(readFileSync(file, 'utf8'));
    expect(validatePackConfig(doc.mcp_authz)).toEqual([]);
  });

  it('accepts no configuration at all', () => expect(validatePackConfig(undefined)).toEqual([]));

  it('reports every problem with its path', () => {
    const problems = validatePackConfig({
      mode: 'strict',
      surprise: true,
      tool_policies: [{ name: 'p', rules: [{ name: 'r', message: 'm' }, { name: 'x', message: 'm', max: { argument: 'a', value: '500' } }] }],
      business_hours: [{ timezone: 'Mars/Olympus', days: ['Funday'], start_hour: 18, end_hour: 9 }],
      claim_headers: [{ claim: 'team', header: 'X Team' }],
      pii: [{ types: ['dna'] }],
    });
    const text = problems.join('\n');
    expect(text).toContain('data.mcp_authz.mode');
    expect(text).toMatch(/surprise/);
    expect(text).toContain('data.mcp_authz.tool_policies[0].rules[0]: a rule needs exactly one of max, required, approval_above');
    expect(text).toContain('data.mcp_authz.tool_policies[0].rules[1].max.value');
    expect(text).toContain('data.mcp_authz.business_hours[0].timezone');
    expect(text).toContain('data.mcp_authz.business_hours[0].days[0]');
    expect(text).toContain('data.mcp_authz.claim_headers[0].header');
    expect(text).toContain('data.mcp_authz.pii[0].types[0]');
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });
});
