import type { IdentityConfig } from './config.js';
import { createJwtVerifier, type JwtErrorCode, type JwtVerifier } from './jwt-verifier.js';
import { parseSpiffeId } from './spiffe.js';

export interface Identity {
  /** True only for a verified JWT (this server's verification, or a trusted upstream-verified payload header). */
  verified: boolean;
  error?: { code: JwtErrorCode; message: string };
  user?: { sub: string | null; iss: string | null; aud: string | string[] | null; exp: number | null; claims: Record<string, unknown> };
  workload?: { principal: string; trust_domain?: string; namespace?: string; service_account?: string; error?: string };
  agent?: string;
  roles: string[];
  scopes: string[];
}

export interface IdentityRequest {
  headers: Record<string, string>;
  /** The request path; query-string tokens (?access_token=) are deliberately never read. */
  path: string;
  sourcePrincipal?: string;
}

export interface IdentityResolver {
  resolve(req: IdentityRequest): Promise<Identity>;
}

/** Establish who is asking, once per request, so no policy has to: `input.identity`. Never throws. */
export function createIdentityResolver(cfg: IdentityConfig, opts: { now?: () => number } = {}): IdentityResolver {
  const verifier: JwtVerifier | undefined = cfg.jwt.enabled && cfg.jwt.sources.includes('authorization_header') ? createJwtVerifier(cfg.jwt, opts) : undefined;

  return {
    async resolve(req) {
      const id: Identity = { verified: false, roles: [], scopes: [] };
      try {
        if (req.sourcePrincipal) {
          const s = parseSpiffeId(req.sourcePrincipal);
          id.workload = s.ok
            ? { principal: req.sourcePrincipal, trust_domain: s.trust_domain, ...(s.namespace ? { namespace: s.namespace, service_account: s.service_account! } : {}) }
            : { principal: req.sourcePrincipal, error: s.error };
        }
        if (cfg.jwt.enabled) await verifyUser(cfg, verifier, req, id);
        const agent = agentOf(cfg, req, id);
        if (agent) id.agent = agent;
      } catch (err) {
        id.verified = false;
        id.error = { code: 'token_malformed', message: (err as Error).message };
      }
      return id;
    },
  };
}

async function verifyUser(cfg: IdentityConfig, verifier: JwtVerifier | undefined, req: IdentityRequest, id: Identity): Promise<void> {
  const j = cfg.jwt;
  if (j.sources.includes('payload_header') && j.payload_header && req.headers[j.payload_header]) {
    const payload = decodePayloadHeader(req.headers[j.payload_header]!);
    if (payload) return setUser(cfg, id, payload);
    id.error = { code: 'token_malformed', message: `header ${j.payload_header} is not a JWT payload` };
    return;
  }
  if (!verifier) {
    id.error = { code: 'token_missing', message: 'no verified token' };
    return;
  }
  const auth = req.headers.authorization;
  if (!auth) {
    id.error = { code: 'token_missing', message: 'no bearer token' };
    return;
  }
  // Envoy joins repeated headers with ","; a JWT never contains one.
  if (auth.includes(',')) {
    id.error = { code: 'token_duplicate', message: 'more than one authorization header' };
    return;
  }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  if (!m) {
    id.error = { code: 'token_missing', message: 'the authorization header is not a bearer token' };
    return;
  }
  const r = await verifier.verify(m[1]!);
  if (!r.ok) {
    id.error = { code: r.code, message: r.message };
    return;
  }
  setUser(cfg, id, r.payload as Record<string, unknown>);
}

function setUser(cfg: IdentityConfig, id: Identity, payload: Record<string, unknown>): void {
  id.verified = true;
  delete id.error;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const aud = payload.aud;
  id.user = {
    sub: str(payload.sub),
    iss: str(payload.iss),
    aud: typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) ? (aud as string | string[]) : null,
    exp: typeof payload.exp === 'number' ? payload.exp : null,
    claims: payload,
  };
  id.roles = stringList(claimAt(payload, cfg.jwt.roles_claim));
  id.scopes = [...new Set(cfg.jwt.scopes_claims.flatMap((c) => stringList(payload[c])))];
}

/** Istio's outputPayloadToHeader: base64url (or base64) of the JSON payload; plain JSON is accepted too. */
function decodePayloadHeader(value: string): Record<string, unknown> | undefined {
  for (const text of [value, Buffer.from(value, 'base64url').toString('utf8')]) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function agentOf(cfg: IdentityConfig, req: IdentityRequest, id: Identity): string | undefined {
  switch (cfg.agent.source) {
    case 'header': {
      const v = req.headers[cfg.agent.header!];
      return v && !v.includes(',') ? v : undefined;
    }
    case 'claim': {
      const v = id.verified ? claimAt(id.user?.claims ?? {}, cfg.agent.claim!) : undefined;
      return typeof v === 'string' ? v : undefined;
    }
    default:
      return id.workload?.service_account;
  }
}

export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let node: unknown = claims;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** `scope` claims are space-separated strings; `scp`/roles may be arrays. */
function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}
