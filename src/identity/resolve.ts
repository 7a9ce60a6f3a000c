import type { IdentityConfig } from './config.js';
import { claimAt, roleList, scopeList } from './claims.js';
import { createJwtVerifier, fail, type IdentityLogger, type IdentityErrorCode, type JwtVerifier, type VerifyResult } from './jwt-verifier.js';
import { createPayloadHeaderReader, type PayloadHeaderReader } from './payload-header.js';
import { parseSpiffeId, type SpiffeId } from './spiffe.js';

export type TokenSource = 'authorization_header' | 'payload_header';

export interface IdentityUser {
  sub: string | null;
  iss: string | null;
  aud: string | string[] | null;
  exp: number | null;
  /** The whole verified payload. */
  claims: Record<string, unknown>;
  /** Where the token came from: verified here (`authorization_header`) or by the mesh (`payload_header`). */
  source: TokenSource;
}

/** The mTLS peer: a parsed SPIFFE ID, or the raw principal with why it is not one. */
export type Workload = ({ principal: string } & SpiffeId) | { principal: string; error: string };

/** `input.identity`. */
export interface Identity {
  /** True only when a user token was verified (here, or upstream through a configured payload header). */
  verified: boolean;
  /** Why there is no verified user (absent when JWT verification is off). */
  error?: { code: IdentityErrorCode; message: string };
  user?: IdentityUser;
  workload?: Workload;
  agent?: string;
  /** From `jwt.roles_claim` of a verified token. */
  roles: string[];
  /** From `jwt.scopes_claims` (`scope`, `scp`) of a verified token, de-duplicated. */
  scopes: string[];
}

export interface IdentityRequest {
  /** Request headers (Envoy: lower-case names, repeated headers joined with ","). */
  headers: Record<string, string>;
  /** The request path. Never read for tokens: `?access_token=` is ignored (MCP forbids tokens in the query). */
  path: string;
  /** `attributes.source.principal`, the mTLS peer (e.g. `spiffe://cluster.local/ns/agents/sa/support-agent`). */
  sourcePrincipal?: string;
}

export interface IdentityResolver {
  /** Never throws and never rejects; an Identity, not a promise, when no token is verified (jwt disabled). */
  resolve(req: IdentityRequest): Identity | Promise<Identity>;
  /** True without tokens (jwt disabled): the identity is then a function of the request's headers and principal. */
  readonly pure: boolean;
  close(): void;
}

/** Printable ASCII without space or ",": an agent name taken from a header. */
const AGENT_NAME = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;
const BEARER = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i;

/**
 * Establish who is asking, once per request, so no policy has to: `input.identity`. Key material (a JWKS file)
 * is loaded here, once; `opts.now` (milliseconds) fixes the clock for exp/nbf checks in tests.
 */
export function createIdentityResolver(config: IdentityConfig, opts: { now?: () => number; logger?: IdentityLogger } = {}): IdentityResolver {
  const jwt = config.jwt;
  const verifier: JwtVerifier | undefined = jwt.enabled && jwt.sources.includes('authorization_header') ? createJwtVerifier(jwt, opts) : undefined;
  const payloadReader: PayloadHeaderReader | undefined =
    jwt.enabled && jwt.sources.includes('payload_header') ? createPayloadHeaderReader(jwt, opts) : undefined;

  /** The first configured source that is present decides; a present but bad token is an error, not a fallback. */
  async function userToken(
    headers: Record<string, string>,
  ): Promise<(VerifyResult & { ok: false }) | { ok: true; payload: Record<string, unknown>; source: TokenSource }> {
    for (const source of jwt.sources) {
      const name = source === 'authorization_header' ? 'authorization' : jwt.payload_header!;
      const values = headerValues(headers, name);
      if (values.length === 0) continue;
      if (values.length > 1) return fail('token_duplicate', `more than one ${name} header`);
      const r = source === 'authorization_header' ? await bearer(values[0]!) : payloadReader!.read(values[0]!);
      return r.ok ? { ok: true, payload: r.payload as Record<string, unknown>, source } : r;
    }
    return fail(
      'token_missing',
      jwt.sources.includes('authorization_header') ? 'no bearer token in the authorization header' : `no ${jwt.payload_header} header`,
    );
  }

  async function bearer(value: string): Promise<VerifyResult> {
    // Envoy joins repeated headers with ","; no bearer token (RFC 6750 b64token) contains one.
    if (value.includes(',')) return fail('token_duplicate', 'more than one authorization header');
    if (value.length > jwt.max_token_bytes + 64) return fail('token_too_large', `the token is larger than ${jwt.max_token_bytes} bytes`);
    if (!/^Bearer(?:[ \t]|$)/i.test(value)) return fail('token_missing', 'the authorization header is not a Bearer credential');
    const m = BEARER.exec(value);
    if (!m) return fail('token_malformed', 'the authorization header does not hold exactly one bearer token');
    return verifier!.verify(m[1]!);
  }

  function agentOf(headers: Record<string, string>, id: Identity): string | undefined {
    const a = config.agent;
    if (a.source === 'header') {
      const values = headerValues(headers, a.header!);
      return values.length === 1 && AGENT_NAME.test(values[0]!) ? values[0] : undefined;
    }
    if (a.source === 'claim') {
      const v = id.verified && id.user ? claimAt(id.user.claims, a.claim!) : undefined;
      return typeof v === 'string' && AGENT_NAME.test(v) ? v : undefined;
    }
    // The whole SPIFFE ID, never the service account alone: the same name in another namespace or trust domain
    // is another agent. Policies map short names to IDs per trust domain and namespace (the pack: agent_scopes).
    return id.workload && 'service_account' in id.workload ? `spiffe://${id.workload.trust_domain}${id.workload.path}` : undefined;
  }

  /** Fail closed: whatever went wrong, nobody is verified. */
  const failed = (id: Identity): Identity => ({
    verified: false,
    error: { code: 'internal_error', message: 'the identity could not be established' },
    roles: [],
    scopes: [],
    ...(id.workload ? { workload: id.workload } : {}),
  });

  return {
    // Without tokens the identity comes from the headers and the source principal only.
    pure: !jwt.enabled,
    // Synchronous unless a token is verified (jwt.enabled): a check with nothing to await stays on one path.
    resolve(req) {
      const id: Identity = { verified: false, roles: [], scopes: [] };
      try {
        const headers = req.headers ?? {};
        if (typeof req.sourcePrincipal === 'string' && req.sourcePrincipal !== '') id.workload = workloadOf(req.sourcePrincipal);
        const withAgent = (): Identity => {
          const agent = agentOf(headers, id);
          if (agent !== undefined) id.agent = agent;
          return id;
        };
        if (!jwt.enabled) return withAgent();
        return userToken(headers)
          .then((r) => {
            if (r.ok) setUser(id, r.payload, r.source);
            else id.error = { code: r.code, message: r.message };
            return withAgent();
          })
          .catch(() => failed(id));
      } catch {
        return failed(id);
      }
    },
    close() {
      verifier?.close();
    },
  };

  function setUser(id: Identity, payload: Record<string, unknown>, source: TokenSource): void {
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const aud = payload.aud;
    id.verified = true;
    id.user = {
      sub: str(payload.sub),
      iss: str(payload.iss),
      aud: typeof aud === 'string' || (Array.isArray(aud) && aud.every((x) => typeof x === 'string')) ? (aud as string | string[]) : null,
      exp: typeof payload.exp === 'number' ? payload.exp : null,
      claims: payload,
      source,
    };
    id.roles = [...new Set(roleList(claimAt(payload, jwt.roles_claim)))];
    id.scopes = [...new Set(jwt.scopes_claims.flatMap((c) => scopeList(claimAt(payload, c))))];
  }
}

function workloadOf(principal: string): Workload {
  const s = parseSpiffeId(principal);
  return 'error' in s ? { principal, error: s.error } : { principal, ...s };
}

/** Every value of a header, whatever the case of its name in the map (Envoy's are lower-case). */
export function headerValues(headers: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (typeof v === 'string' && key.toLowerCase() === name) out.push(v);
  }
  return out;
}
