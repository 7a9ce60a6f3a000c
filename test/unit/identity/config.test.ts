import { describe, expect, it } from 'vitest';
import { identityConfigSchema } from '../../../src/identity/config.js';

/** Every problem as "path: message". */
const problems = (input: unknown) => {
  const r = identityConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const bearer = (jwt: Record<string, unknown> = {}) => ({
  jwt: { enabled: true, jwks_file: '/etc/jwks.json', issuers: ['https://idp/'], audiences: ['mcp'], ...jwt },
});

describe('identity configuration', () => {
  it('{} is valid: no JWT, agent from the SPIFFE service account, safe defaults', () => {
    const c = identityConfigSchema.parse({});
    expect(c.jwt).toMatchObject({
      enabled: false,
      sources: ['authorization_header'],
      algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      clock_skew_seconds: 30,
      max_token_bytes: 8192,
      required_claims: ['exp'],
      jwks_refresh_seconds: 300,
      jwks_timeout_ms: 3000,
      jwks_unknown_kid_min_interval_seconds: 30,
    });
    expect(c.agent.source).toBe('spiffe_service_account');
  });

  it('a complete bearer configuration parses, header names lower-cased', () => {
    const c = identityConfigSchema.parse({
      ...bearer({
        algorithms: ['RS256', 'HS256'],
        hs_secret: 'x'.repeat(32),
        payload_header: 'X-Jwt-Payload',
        sources: ['payload_header', 'authorization_header'],
      }),
      agent: { source: 'header', header: 'X-Agent-Id' },
    });
    expect(c.jwt.payload_header).toBe('x-jwt-payload');
    expect(c.agent.header).toBe('x-agent-id');
  });

  it.each([
    ['alg none', bearer({ algorithms: ['RS256', 'none'] }), 'jwt.algorithms.1: alg "none" (unsigned tokens) is never accepted'],
    ['alg NONE', bearer({ algorithms: ['NONE'] }), 'jwt.algorithms.0: alg "none"'],
    ['an unknown algorithm', bearer({ algorithms: ['RS1'] }), 'jwt.algorithms.0: unsupported algorithm "RS1"'],
    ['HS256 without a secret', bearer({ algorithms: ['HS256'] }), 'jwt.algorithms.0: HS256 is allowed only with an explicit jwt.hs_secret'],
    ['a short HS secret', bearer({ algorithms: ['HS256'], hs_secret: 'short' }), 'jwt.hs_secret: an HS* secret must be at least 32 characters'],
    [
      'bearer tokens without keys',
      { jwt: { enabled: true, issuers: ['i'], audiences: ['a'] } },
      'jwt: verifying bearer tokens needs jwks_file, jwks_uri or hs_secret',
    ],
    ['no audiences', bearer({ audiences: [] }), 'jwt.audiences: list the allowed audiences'],
    ['no issuers', bearer({ issuers: [] }), 'jwt.issuers: list the allowed issuers'],
    ['two key sets', bearer({ jwks_uri: 'https://idp/jwks' }), 'jwt.jwks_uri: set one of jwks_file and jwks_uri, not both'],
    ['a plain-http JWKS on the network', bearer({ jwks_file: undefined, jwks_uri: 'http://idp.example.com/jwks' }), 'jwt.jwks_uri: use https'],
    ['a JWKS URI that is not http(s)', bearer({ jwks_file: undefined, jwks_uri: 'file:///etc/jwks' }), 'jwt.jwks_uri: must be an http(s) URL'],
    [
      'payload_header source without the header',
      { jwt: { enabled: true, sources: ['payload_header'] } },
      'jwt.payload_header: required when sources includes payload_header',
    ],
    ['a source twice', bearer({ sources: ['authorization_header', 'authorization_header'] }), 'jwt.sources: each source may appear once'],
    ['the authorization header as payload header', bearer({ payload_header: 'Authorization' }), 'jwt.payload_header: authorization is reserved'],
    ['agent header missing', { agent: { source: 'header' } }, 'agent.header: required when agent.source is header'],
    ['agent claim without JWT', { agent: { source: 'claim', claim: 'azp' } }, 'agent.source: agent.source claim needs jwt.enabled: true'],
    ['an unknown key', { jwt: { enable: true } }, 'jwt: Unrecognized key: "enable"'],
    // Claim headers and challenges are the pack's (data.mcp_authz.claim_headers, rego/mcp_authz_response.rego).
    ['claim headers outside the pack', { claim_headers: [{ claim: 'team', header: 'X-Team' }] }, ': Unrecognized key: "claim_headers"'],
    ['a challenge realm', { realm: 'mcp' }, ': Unrecognized key: "realm"'],
    ['a negative clock skew', { jwt: { clock_skew_seconds: -1 } }, 'jwt.clock_skew_seconds:'],
  ])('rejects %s, naming the path', (_name, input, expected) => {
    expect(problems(input).some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports several problems at once', () => {
    const found = problems(bearer({ algorithms: ['none', 'HS512'], audiences: [], issuers: [] }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^jwt\.algorithms\.0: alg "none"/),
        expect.stringMatching(/^jwt\.algorithms\.1: HS512/),
        expect.stringMatching(/^jwt\.audiences:/),
        expect.stringMatching(/^jwt\.issuers:/),
      ]),
    );
  });

  it('allows http for a loopback JWKS, or anywhere when explicitly allowed', () => {
    expect(problems(bearer({ jwks_file: undefined, jwks_uri: 'http://127.0.0.1:8080/jwks' }))).toEqual([]);
    expect(problems(bearer({ jwks_file: undefined, jwks_uri: 'http://keycloak.auth.svc:8080/jwks', jwks_allow_insecure_http: true }))).toEqual([]);
  });

  it('needs no keys or allowlists when only the mesh-verified payload header is used', () => {
    expect(problems({ jwt: { enabled: true, sources: ['payload_header'], payload_header: 'x-jwt-payload' } })).toEqual([]);
  });
});
