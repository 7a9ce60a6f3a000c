import { z } from 'zod';
import { HEADER_NAME } from '../shared/http-token.js';
import { APPROVAL_ID_HEADER, DECISION_HEADER, PROTOCOL_VERSION_HEADER, SESSION_ID_HEADER } from '../shared/headers.js';
import { FINDING_TYPES } from './finding-types.js';
import { timeZoneNames } from '../shared/time-zone-names.js';

const mode = z.enum(['enforce', 'audit']);
const action = z.enum(['deny', 'require_approval']);
const name = z.string().min(1);
const message = z.string().min(1);
const toolList = z.array(name).min(1);
const selector = { tools: toolList.optional(), registry: name.optional() };
const argumentPath = z.string().regex(/^[^.]+(\.[^.]+)*$/, 'must be an argument name, with dots reaching into objects (body.amount)');
const claimPath = z.string().regex(/^[^.]+(\.[^.]+)*$/, 'must be a claim name, with dots reaching into objects (org.team)');
const scalar = z.union([z.string(), z.number(), z.boolean()]);

// Headers the pack must never set: hop-by-hop and framing headers, routing, and the server's own.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'authorization',
  'cookie',
  DECISION_HEADER,
  APPROVAL_ID_HEADER,
  SESSION_ID_HEADER,
  PROTOCOL_VERSION_HEADER,
]);
const headerName = z
  .string()
  .regex(HEADER_NAME, 'must be an HTTP header name')
  .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is reserved (framing, routing, credentials or mcp-authz headers cannot be injected)');
// eslint-disable-next-line no-control-regex
const headerValue = z.string().regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

// Canonical hosts as the server's URL facts report them: lower case, punycode, no trailing dot, IPv6 without
// brackets; "*.example.com" for subdomains. A scheme, port or path here is a mistake that would never match.
const hostPattern = z
  .string()
  .regex(
    /^(?:(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|[0-9a-f:.]*:[0-9a-f:.]*)$/,
    'must be a canonical host (lower case, no scheme, port, path or trailing dot), optionally *.domain',
  );
const scheme = z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'must be a lower-case URL scheme without "://"');

const numeric = z.object({ argument: argumentPath, value: z.number() }).strict();
const values = z.object({ argument: argumentPath, values: z.array(scalar).min(1) }).strict();
const CONDITIONS = ['max', 'min', 'approval_above', 'required', 'one_of', 'none_of'] as const;

const rule = z
  .object({
    name,
    message,
    action: action.optional(),
    max: numeric.optional(),
    min: numeric.optional(),
    approval_above: numeric.optional(),
    required: argumentPath.optional(),
    one_of: values.optional(),
    none_of: values.optional(),
  })
  .strict()
  .refine((r) => CONDITIONS.filter((c) => r[c] !== undefined).length === 1, {
    message: `a rule needs exactly one of ${CONDITIONS.join(', ')}`,
  });

const headerSpec = z
  .object({ header: headerName, value: headerValue.optional(), claim: claimPath.optional(), identity: claimPath.optional() })
  .strict()
  .refine((h) => [h.value, h.claim, h.identity].filter((x) => x !== undefined).length === 1, {
    message: 'a header needs exactly one of value, claim, identity',
  });

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

// As Go (and so OPA's time builtins) load it: an IANA name spelled exactly, "UTC" or "" (UTC).
const timeZone = z
  .string()
  .refine((tz) => tz === '' || tz === 'UTC' || timeZoneNames().has(tz), 'must be an IANA time zone spelled exactly, such as America/New_York');

const urlAllow = z
  .object({
    host: hostPattern,
    path_prefix: z.string().startsWith('/').optional(),
    scheme: scheme.optional(),
    ports: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
    allow_private: z.boolean().optional(),
  })
  .strict();

const urls = z
  .object({
    mode: mode.optional(),
    deny_private: z.boolean().optional(),
    deny_ambiguous: z.boolean().optional(),
    deny_userinfo: z.boolean().optional(),
    deny_internal_hosts: z.boolean().optional(),
    blocked_ip_classes: z
      .array(z.enum(['loopback', 'private', 'link_local', 'unique_local', 'multicast', 'unspecified', 'reserved', 'public']))
      .optional(),
    internal_hosts: z.array(hostPattern).optional(),
    blocked_schemes: z.array(scheme).optional(),
    tools: z.record(name, z.object({ allow: z.array(urlAllow) }).strict()).optional(),
    /** Exemptions for URIs of other methods (resources/read, prompts/get …): urls.methods.<method>.allow. */
    methods: z.record(name, z.object({ allow: z.array(urlAllow) }).strict()).optional(),
    /** Kubernetes namespaces whose <service>.<namespace>[.svc] names are internal even when the namespace is a TLD. */
    cluster_namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name')).optional(),
  })
  .strict();

/** Where short agent names apply: SPIFFE IDs of these trust domains and namespaces. */
const agentScope = z
  .object({ trust_domain: z.string().regex(/^[a-z0-9._-]+$/, 'must be a SPIFFE trust domain'), namespaces: z.array(z.string().min(1)).min(1) })
  .strict();

const agentAccess = z
  .object({
    mode: z.enum(['allowlist', 'denylist']).optional(),
    tools: z.array(name).optional(),
    registries: z.record(name, z.array(name)).optional(),
  })
  .strict();

const toolPolicy = z
  .object({
    name,
    mode: mode.optional(),
    ...selector,
    required_claims: z.array(z.object({ claim: claimPath, message, values: z.array(scalar).min(1).optional() }).strict()).optional(),
    required_scopes: z.array(name).optional(),
    rules: z.array(rule).optional(),
    headers: z.array(headerSpec).optional(),
  })
  .strict();

const piiRule = z
  .object({
    name: name.optional(),
    mode: mode.optional(),
    ...selector,
    types: z.array(z.enum(FINDING_TYPES)).min(1),
    action: action.optional(),
    except_roles: z.array(name).optional(),
    message: message.optional(),
  })
  .strict();

const roles = z
  .object({
    mode: mode.optional(),
    unlisted_tools: z.enum(['allow', 'deny']).optional(),
    tools: z.record(
      name,
      z
        .object({
          roles: z.array(name).min(1),
          restricted: z
            .object({ argument: argumentPath, values: z.array(name).min(1), roles: z.array(name).min(1) })
            .strict()
            .optional(),
        })
        .strict(),
    ),
  })
  .strict();

const businessHours = z
  .object({
    name: name.optional(),
    mode: mode.optional(),
    ...selector,
    timezone: timeZone,
    days: z.array(z.enum(WEEKDAYS)).min(1),
    start_hour: z.number().int().min(0).max(23),
    end_hour: z.number().int().min(1).max(24),
    message: message.optional(),
  })
  .strict()
  .refine((b) => b.start_hour < b.end_hour, { message: 'start_hour must be before end_hour' });

const jsonrpcCode = z.number().int().min(-32099).max(-32000);

/**
 * The guardrails pack's data document (`data.mcp_authz`), validated at startup and on every reload so a typo is
 * a clear error instead of a rule that silently never matches. Unknown keys are errors; settings for your own
 * Rego rules go under `custom` (free-form). See docs/guardrails-pack.md.
 */
export const packConfigSchema = z
  .object({
    mode: mode.optional(),
    denial_format: z.enum(['http', 'jsonrpc']).optional(),
    jsonrpc_error_code: jsonrpcCode.optional(),
    jsonrpc_approval_code: jsonrpcCode.optional(),
    approval_http_status: z.number().int().min(400).max(599).optional(),
    resource_metadata: z
      .url({ protocol: /^https?$/, error: 'must be the http(s) URL of the protected resource metadata document (RFC 9728)' })
      .refine((u) => !/["\\]/.test(u), 'must not contain a double quote or a backslash (it is sent as a quoted-string)')
      .optional(),
    approved_hosts: z.array(hostPattern).optional(),
    url_tools: z.array(name).optional(),
    urls: urls.optional(),
    servers: z.array(name).optional(),
    tool_separators: z.array(z.string().min(1)).min(1).optional(),
    default_server: name.optional(),
    agents: z.record(name, agentAccess).optional(),
    agent_scopes: z.array(agentScope).optional(),
    documents: z
      .object({
        deny_unparsed: z.boolean().optional(),
        /** Which string arguments are documents (facts/document-declarations.ts); default: every tool's body, auto. */
        arguments: z
          .array(z.object({ argument: argumentPath, format: z.enum(['json', 'form', 'auto']).optional(), tools: toolList.optional() }).strict())
          .optional(),
      })
      .strict()
      .optional(),
    unknown_agents: z.enum(['allow', 'deny']).optional(),
    tool_access_mode: mode.optional(),
    claim_headers: z.array(z.object({ claim: claimPath, header: headerName }).strict()).optional(),
    header_value_max_length: z.number().int().min(1).max(8192).optional(),
    tool_policies: z.array(toolPolicy).optional(),
    pii: z.array(piiRule).optional(),
    roles: roles.optional(),
    business_hours: z.array(businessHours).optional(),
    custom: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.default_server !== undefined && !(c.servers ?? []).includes(c.default_server)) {
      ctx.addIssue({ code: 'custom', path: ['default_server'], message: 'must be one of servers' });
    }
    const known = new Set(c.servers ?? []);
    for (const [i, p] of (c.tool_policies ?? []).entries()) registryKnown(p.registry, known, ['tool_policies', i, 'registry'], ctx);
    for (const [i, p] of (c.pii ?? []).entries()) registryKnown(p.registry, known, ['pii', i, 'registry'], ctx);
    for (const [i, b] of (c.business_hours ?? []).entries()) registryKnown(b.registry, known, ['business_hours', i, 'registry'], ctx);
    for (const [agent, a] of Object.entries(c.agents ?? {})) {
      for (const r of Object.keys(a.registries ?? {})) registryKnown(r, known, ['agents', agent, 'registries', r], ctx);
    }
  });

// A registry that is not in `servers` can never match a call (tool names map to servers through that list).
function registryKnown(registry: string | undefined, known: Set<string>, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (registry !== undefined && !known.has(registry))
    ctx.addIssue({ code: 'custom', path, message: `registry ${JSON.stringify(registry)} is not in servers, so it never matches` });
}

/** Every problem in `data.mcp_authz`, each with its path; empty when valid (or absent). */
export function validatePackConfig(value: unknown): string[] {
  return packConfigIssues(value).map((i) => i.text);
}

/**
 * The problems of the pack's data, each with the path under data.mcp_authz it is about (an unknown key's own path,
 * so the file that wrote it can be named) and its text (`data.mcp_authz.approved_hosts: …`).
 */
export function packConfigIssues(value: unknown): { path: PropertyKey[]; text: string }[] {
  if (value === undefined) return [];
  const r = packConfigSchema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.flatMap((i) => {
    const at = `data.mcp_authz${i.path.map(pathPart).join('')}`;
    // One problem per unknown key: each may come from another --data file.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...i.path, k], text: `${at}: Unrecognized key: ${JSON.stringify(k)}` }));
    return [{ path: i.path, text: `${at}: ${i.message}` }];
  });
}

const pathPart = (p: PropertyKey): string =>
  typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`;
