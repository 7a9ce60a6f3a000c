import { z } from 'zod';
import { HEADER_NAME } from '../shared/http-token.js';

/** Shared-secret algorithms: accepted only with an explicit `jwt.hs_secret`. */
export const HS_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];
/** Public-key algorithms verified against the JWKS. */
export const PUBLIC_KEY_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const SUPPORTED = new Set([...PUBLIC_KEY_ALGORITHMS, ...HS_ALGORITHMS]);

/**
 * Headers a claim header may never be: HTTP/2 pseudo-headers, hop-by-hop and framing headers, credentials, and
 * Envoy's own. Overwriting one would change routing or authentication rather than add a fact.
 */
const RESERVED_HEADERS = new Set([
  'host',
  'authority',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);
const isReservedHeader = (h: string) => RESERVED_HEADERS.has(h) || h.startsWith('x-envoy-') || h.startsWith('proxy-');

/** A header name; stored lower-case (Envoy's header map is lower-case). */
const headerName = z
  .string()
  .regex(HEADER_NAME, 'must be an HTTP header name (RFC 9110 token)')
  .transform((h) => h.toLowerCase())
  .refine((h) => !isReservedHeader(h), { error: (i) => `${String(i.input)} is reserved (routing, framing, credentials or Envoy's own)` });

const algorithm = z.string().superRefine((alg, ctx) => {
  if (alg.toLowerCase() === 'none') ctx.addIssue({ code: 'custom', message: 'alg "none" (unsigned tokens) is never accepted' });
  else if (!SUPPORTED.has(alg))
    ctx.addIssue({ code: 'custom', message: `unsupported algorithm ${JSON.stringify(alg)} (supported: ${[...SUPPORTED].join(', ')})` });
});

const seconds = z.number().finite();

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const jwtSchema = z
  .object({
    /** Verify user tokens at all. Off: `input.identity` has only the workload and the agent. */
    enabled: z.boolean().default(false),
    /** Where the user's token comes from, in order of preference; the first one present is used. */
    sources: z
      .array(z.enum(['authorization_header', 'payload_header']))
      .min(1)
      .default(['authorization_header']),
    /** A local JWKS file, read once at startup. */
    jwks_file: z.string().min(1).optional(),
    /** A remote JWKS (https; http only for loopback or with jwks_allow_insecure_http). */
    jwks_uri: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    jwks_allow_insecure_http: z.boolean().default(false),
    /** The remote key set is refetched when older than this (in the background; the old keys stay in use). */
    jwks_refresh_seconds: seconds.min(1).max(86_400).default(300),
    jwks_timeout_ms: z.number().int().min(1).max(60_000).default(3000),
    /** At most one fetch per interval for an unknown `kid` (and after a failed fetch). */
    jwks_unknown_kid_min_interval_seconds: seconds.min(0).max(3600).default(30),
    /** Allowed `iss` values. Required when bearer tokens are verified here. */
    issuers: z.array(z.string().min(1)).default([]),
    /** Allowed `aud` values (any one must match). Required when bearer tokens are verified here (MCP spec). */
    audiences: z.array(z.string().min(1)).default([]),
    /**
     * The canonical URI of the MCP server this gateway protects (RFC 8707 resource indicator, as the MCP
     * authorization spec has clients send it). A token is accepted only when its `aud` names this resource or one
     * of `audiences`: tokens issued for another resource are refused.
     */
    resource: z.url({ protocol: /^https?$/, error: "must be the MCP server's http(s) URL (RFC 8707 resource)" }).optional(),
    algorithms: z.array(algorithm).min(1).default(['RS256', 'ES256', 'EdDSA', 'PS256']),
    /** Shared secret for HS256/384/512; those algorithms are refused without it. */
    hs_secret: z.string().min(32, 'an HS* secret must be at least 32 characters').optional(),
    clock_skew_seconds: seconds.min(0).max(600).default(30),
    /** Tokens longer than this are refused before any parsing. */
    max_token_bytes: z.number().int().min(256).max(65_536).default(8192),
    /** Claims every token must carry (beyond iss/aud, which the allowlists already require). */
    required_claims: z.array(z.string().min(1)).default(['exp']),
    /** Istio RequestAuthentication `outputPayloadToHeader`: trusted only from this header, only when configured. */
    payload_header: headerName.optional(),
    /** Claim (dotted path allowed) holding the user's roles: `input.identity.roles` (a list, or one string that is one role). */
    roles_claim: z.string().min(1).default('roles'),
    /** Claims holding OAuth scopes (space-separated string or array): `input.identity.scopes`. */
    scopes_claims: z.array(z.string().min(1)).default(['scope', 'scp']),
  })
  .strict();

const agentSchema = z
  .object({
    /** `spiffe_service_account`: the mTLS peer's SPIFFE ID when it names a Kubernetes service account
     *  (`spiffe://<trust domain>/ns/<namespace>/sa/<name>`, whole: trust domain and namespace count); `claim`: a verified token claim;
     *  `header`: a request header (only as trustworthy as whatever sets it). */
    source: z.enum(['header', 'claim', 'spiffe_service_account']).default('spiffe_service_account'),
    header: headerName.optional(),
    claim: z.string().min(1).optional(),
  })
  .strict();

/** The `identity` section of the configuration file. `{}` is valid: no JWT, agent from the SPIFFE service account. */
export const identityConfigSchema = z
  .object({
    jwt: jwtSchema.prefault({}),
    agent: agentSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const j = c.jwt;
    const verifiesBearer = j.enabled && j.sources.includes('authorization_header');

    j.algorithms.forEach((alg, i) => {
      if (HS_ALGORITHMS.includes(alg) && !j.hs_secret) issue(['jwt', 'algorithms', i], `${alg} is allowed only with an explicit jwt.hs_secret`);
    });
    if (new Set(j.sources).size !== j.sources.length) issue(['jwt', 'sources'], 'each source may appear once');
    if (j.jwks_file && j.jwks_uri) issue(['jwt', 'jwks_uri'], 'set one of jwks_file and jwks_uri, not both');
    if (verifiesBearer) {
      if (!j.jwks_file && !j.jwks_uri && !j.hs_secret) issue(['jwt'], 'verifying bearer tokens needs jwks_file, jwks_uri or hs_secret');
      if (j.issuers.length === 0) issue(['jwt', 'issuers'], 'list the allowed issuers (required when bearer tokens are verified)');
      if (j.audiences.length === 0 && !j.resource)
        issue(['jwt', 'audiences'], 'list the allowed audiences, or set jwt.resource: tokens issued for other services must be refused');
      if (j.hs_secret && !j.algorithms.some((a) => HS_ALGORITHMS.includes(a)) && !j.jwks_file && !j.jwks_uri) {
        issue(['jwt', 'algorithms'], 'hs_secret is the only key but no HS* algorithm is allowed');
      }
    }
    if (j.jwks_uri && !j.jwks_allow_insecure_http) {
      const u = new URL(j.jwks_uri);
      if (u.protocol === 'http:' && !LOOPBACK_HOSTS.has(u.hostname)) {
        issue(['jwt', 'jwks_uri'], 'use https (http is allowed for loopback addresses, or with jwks_allow_insecure_http: true)');
      }
    }
    if (j.sources.includes('payload_header') && !j.payload_header) issue(['jwt', 'payload_header'], 'required when sources includes payload_header');

    if (c.agent.source === 'header' && !c.agent.header) issue(['agent', 'header'], 'required when agent.source is header');
    if (c.agent.source === 'claim') {
      if (!c.agent.claim) issue(['agent', 'claim'], 'required when agent.source is claim');
      if (!j.enabled) issue(['agent', 'source'], 'agent.source claim needs jwt.enabled: true');
    }
  });

export type IdentityConfig = z.output<typeof identityConfigSchema>;
export type IdentityConfigInput = z.input<typeof identityConfigSchema>;
export type JwtConfig = IdentityConfig['jwt'];
