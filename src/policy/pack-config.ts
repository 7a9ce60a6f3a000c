import { z } from 'zod';
import { HEADER_NAME } from '../http-token.js';

const mode = z.enum(['enforce', 'audit']);
const name = z.string().min(1);
const headerName = z.string().regex(HEADER_NAME, 'must be an HTTP header name');
const toolList = z.array(name).min(1);
const selector = { tools: toolList.optional(), registry: name.optional() };

const rule = z
  .object({
    name,
    message: z.string().min(1),
    max: z.object({ argument: name, value: z.number() }).strict().optional(),
    required: name.optional(),
    approval_above: z.object({ argument: name, value: z.number() }).strict().optional(),
  })
  .strict()
  .refine((r) => [r.max, r.required, r.approval_above].filter((x) => x !== undefined).length === 1, {
    message: 'a rule needs exactly one of max, required, approval_above',
  });

const headerSpec = z
  .object({ header: headerName, value: z.string().optional(), claim: name.optional() })
  .strict()
  .refine((h) => (h.value === undefined) !== (h.claim === undefined), { message: 'a header needs exactly one of value, claim' });

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as America/New_York');

/**
 * The guardrails pack's data document (`data.mcp_authz`), validated at startup and on every reload so a typo is
 * a clear error instead of a rule that silently never matches. Unknown keys are errors. See README
 * "Guardrails pack".
 */
export const packConfigSchema = z
  .object({
    mode: mode.optional(),
    denial_format: z.enum(['http', 'jsonrpc']).optional(),
    jsonrpc_error_code: z.number().int().min(-32099).max(-32000).optional(),
    jsonrpc_approval_code: z.number().int().min(-32099).max(-32000).optional(),
    approval_http_status: z.number().int().min(200).max(599).optional(),
    approved_hosts: z.array(name).optional(),
    url_tools: z.array(name).optional(),
    urls: z
      .object({
        mode: mode.optional(),
        deny_private: z.boolean().optional(),
        deny_ambiguous: z.boolean().optional(),
        deny_userinfo: z.boolean().optional(),
        blocked_ip_classes: z.array(z.enum(['loopback', 'private', 'link_local', 'unique_local', 'multicast', 'unspecified', 'reserved', 'public'])).optional(),
        tools: z
          .record(
            name,
            z
              .object({
                allow: z.array(z.object({ host: name, path_prefix: z.string().startsWith('/').optional(), scheme: z.string().min(1).optional() }).strict()),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
    servers: z.array(name).optional(),
    tool_separators: z.array(z.string().min(1)).optional(),
    agents: z
      .record(
        name,
        z
          .object({
            mode: z.enum(['allowlist', 'denylist']).optional(),
            tools: z.array(name).optional(),
            registries: z.record(name, z.array(name)).optional(),
          })
          .strict(),
      )
      .optional(),
    unknown_agents: z.enum(['allow', 'deny']).optional(),
    tool_access_mode: mode.optional(),
    claim_headers: z.array(z.object({ claim: name, header: headerName }).strict()).optional(),
    header_value_max_length: z.number().int().min(1).max(8192).optional(),
    tool_policies: z
      .array(
        z
          .object({
            name,
            mode: mode.optional(),
            ...selector,
            required_claims: z.array(z.object({ claim: name, message: z.string().min(1) }).strict()).optional(),
            required_scopes: z.array(name).optional(),
            rules: z.array(rule).optional(),
            headers: z.array(headerSpec).optional(),
          })
          .strict(),
      )
      .optional(),
    pii: z
      .array(
        z
          .object({
            name: name.optional(),
            mode: mode.optional(),
            ...selector,
            types: z.array(z.enum(['ssn', 'credit_card', 'email', 'aws_access_key', 'private_key', 'bearer_token', 'jwt', 'github_token', 'slack_token'])).min(1),
            action: z.enum(['deny', 'require_approval']).optional(),
            except_roles: z.array(name).optional(),
            message: z.string().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    roles: z
      .object({
        mode: mode.optional(),
        tools: z.record(
          name,
          z
            .object({
              roles: z.array(name).min(1),
              restricted: z.object({ argument: name, values: z.array(name).min(1), roles: z.array(name).min(1) }).strict().optional(),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    business_hours: z
      .array(
        z
          .object({
            name: name.optional(),
            mode: mode.optional(),
            ...selector,
            timezone: timeZone,
            days: z.array(z.enum(WEEKDAYS)).min(1),
            start_hour: z.number().int().min(0).max(23),
            end_hour: z.number().int().min(1).max(24),
            message: z.string().min(1).optional(),
          })
          .strict()
          .refine((b) => b.start_hour < b.end_hour, { message: 'start_hour must be before end_hour' }),
      )
      .optional(),
  })
  .strict();

export type PackConfig = z.output<typeof packConfigSchema>;

/** Every problem in `data.mcp_authz`, each with its path; empty when valid (or absent). */
export function validatePackConfig(value: unknown): string[] {
  if (value === undefined) return [];
  const r = packConfigSchema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => `data.mcp_authz${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`);
}
