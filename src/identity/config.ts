import { z } from 'zod';

const HS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The `identity` section of the configuration file (README "Identity"). `{}` is valid: no JWT, SPIFFE agent. */
export const identityConfigSchema = z
  .object({
    jwt: z
      .object({
        enabled: z.boolean().default(false),
        sources: z.array(z.enum(['authorization_header', 'payload_header'])).min(1).default(['authorization_header']),
        jwks_file: z.string().min(1).optional(),
        jwks_uri: z.string().url().optional(),
        jwks_refresh_seconds: z.number().positive().default(300),
        jwks_timeout_ms: z.number().int().positive().default(3000),
        jwks_unknown_kid_min_interval_seconds: z.number().min(0).default(30),
        issuers: z.array(z.string().min(1)).default([]),
        audiences: z.array(z.string().min(1)).default([]),
        algorithms: z.array(z.enum([...ASYMMETRIC, ...HS] as [string, ...string[]])).min(1).default(['RS256', 'ES256', 'EdDSA', 'PS256']),
        hs_secret: z.string().min(32, 'an HS* secret must be at least 32 characters').optional(),
        clock_skew_seconds: z.number().min(0).max(600).default(30),
        max_token_bytes: z.number().int().positive().default(8192),
        payload_header: z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case header name').optional(),
        roles_claim: z.string().min(1).default('roles'),
        scopes_claims: z.array(z.string().min(1)).default(['scope', 'scp']),
      })
      .strict()
      .prefault({}),
    agent: z
      .object({
        source: z.enum(['header', 'claim', 'spiffe_service_account']).default('spiffe_service_account'),
        header: z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case header name').optional(),
        claim: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const j = c.jwt;
    if (j.enabled && j.sources.includes('authorization_header') && !j.jwks_file && !j.jwks_uri && !j.hs_secret) {
      ctx.addIssue({ code: 'custom', path: ['jwt'], message: 'verifying bearer tokens needs jwks_file, jwks_uri or hs_secret' });
    }
    if (j.algorithms.some((a) => HS.includes(a)) && !j.hs_secret) {
      ctx.addIssue({ code: 'custom', path: ['jwt', 'algorithms'], message: 'HS256/384/512 are allowed only with an explicit hs_secret' });
    }
    if (j.sources.includes('payload_header') && !j.payload_header) {
      ctx.addIssue({ code: 'custom', path: ['jwt', 'payload_header'], message: 'required when sources includes payload_header' });
    }
    if (c.agent.source === 'header' && !c.agent.header) ctx.addIssue({ code: 'custom', path: ['agent', 'header'], message: 'required when agent.source is header' });
    if (c.agent.source === 'claim' && !c.agent.claim) ctx.addIssue({ code: 'custom', path: ['agent', 'claim'], message: 'required when agent.source is claim' });
  });

export type IdentityConfig = z.output<typeof identityConfigSchema>;
