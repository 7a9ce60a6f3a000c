/**
 * The closed label sets of the `tool` and `rule` metric labels, read from the active policy's data: the tools the
 * guardrails pack's data names (docs/guardrails-pack.md) and the rules it can decide with. A value outside them is
 * counted as `other`, so a request can never add a series; only the operator's data (and `observability.known_tools`)
 * can, and each set is capped at MAX_LABEL_VALUES.
 */

/** The most values each label keeps from the data; the rest are counted as `other` (a data document this large is a mistake). */
export const MAX_LABEL_VALUES = 1000;

/**
 * The rule names the guardrails pack's Rego decides with itself (rego/mcp_authz*.rego: every `v("name", …)`, the
 * PII and business-hours defaults, the custom-rule fallback and the default decision). test/unit/observability pins
 * this list to the Rego source.
 */
export const PACK_RULES: readonly string[] = [
  'agent_unknown',
  'ambiguous_url',
  'arguments_not_inspected',
  'body_truncated',
  'custom_rule',
  'default_deny',
  'document_not_understood',
  'header_mismatch',
  'internal_hostname',
  'invalid_jsonrpc',
  'metadata_endpoint',
  'outside_business_hours',
  'pii_detected',
  'private_network_url',
  'required_scope',
  'restricted_fields',
  'role_not_allowed',
  'tool_denied',
  'tool_not_allowed',
  'unsupported_request',
  'url_not_allowed',
  'url_scheme_blocked',
  'url_userinfo',
];

export interface MetricLabelSets {
  tools: string[];
  rules: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((s): s is string => typeof s === 'string' && s !== '');
const DEFAULT_SEPARATORS = ['__', '_'];

/**
 * The label sets for a policy's data document (`data.mcp_authz` is the pack's; other keys are ignored) plus
 * `knownTools`. Tools: `url_tools`, `urls.tools`, `agents.*.tools` and `.registries`, `tool_policies[].tools`,
 * `pii[].tools`, `roles.tools`, `business_hours[].tools`; with `servers`, also each tool as a gateway sends it,
 * `<server><separator><tool>`. Rules: PACK_RULES, `tool_policies[].rules[].name`, `required_claim:<claim>`,
 * `pii[].name`, `business_hours[].name`.
 */
export function metricLabelSets(data: unknown, knownTools: readonly string[] = []): MetricLabelSets {
  const pack = obj(obj(data).mcp_authz);
  const tools = new Set<string>(knownTools);
  const bare = new Set<string>();
  const addTools = (v: unknown) => {
    for (const t of strings(v)) bare.add(t);
  };
  addTools(pack.url_tools);
  for (const t of Object.keys(obj(obj(pack.urls).tools))) bare.add(t);
  for (const a of Object.values(obj(pack.agents))) {
    addTools(obj(a).tools);
    for (const ts of Object.values(obj(obj(a).registries))) addTools(ts);
  }
  const rules = new Set<string>(PACK_RULES);
  for (const p of list(pack.tool_policies)) {
    addTools(obj(p).tools);
    for (const r of list(obj(p).rules)) if (typeof obj(r).name === 'string') rules.add(obj(r).name as string);
    for (const c of list(obj(p).required_claims)) if (typeof obj(c).claim === 'string') rules.add(`required_claim:${obj(c).claim as string}`);
  }
  for (const p of list(pack.pii)) {
    addTools(obj(p).tools);
    if (typeof obj(p).name === 'string') rules.add(obj(p).name as string);
  }
  for (const b of list(pack.business_hours)) {
    addTools(obj(b).tools);
    if (typeof obj(b).name === 'string') rules.add(obj(b).name as string);
  }
  for (const t of Object.keys(obj(obj(pack.roles).tools))) bare.add(t);
  const servers = strings(pack.servers);
  const separators = strings(pack.tool_separators);
  for (const t of bare) {
    tools.add(t);
    for (const s of servers) for (const sep of separators.length > 0 ? separators : DEFAULT_SEPARATORS) tools.add(`${s}${sep}${t}`);
  }
  tools.delete('none');
  tools.delete('other');
  rules.delete('none');
  rules.delete('other');
  return { tools: [...tools].slice(0, MAX_LABEL_VALUES), rules: [...rules].slice(0, MAX_LABEL_VALUES) };
}
