export type SpiffeResult =
  | { ok: true; trust_domain: string; path: string; namespace?: string; service_account?: string }
  | { ok: false; error: string };

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Parse a SPIFFE ID strictly (SPIFFE ID specification): `spiffe://<trust domain>/<path>`, lower-case trust domain
 * of [a-z0-9._-], no port, user info, query or fragment, path segments of [A-Za-z0-9._-] that are neither empty
 * nor `.`/`..`, at most 2048 bytes. Kubernetes workloads follow `/ns/<namespace>/sa/<service account>`.
 */
export function parseSpiffeId(id: string): SpiffeResult {
  if (typeof id !== 'string' || id.length === 0) return { ok: false, error: 'empty' };
  if (Buffer.byteLength(id) > 2048) return { ok: false, error: 'longer than 2048 bytes' };
  if (!id.startsWith('spiffe://')) return { ok: false, error: 'scheme must be spiffe://' };
  const rest = id.slice('spiffe://'.length);
  if (/[?#]/.test(rest)) return { ok: false, error: 'query and fragment are not allowed' };
  const slash = rest.indexOf('/');
  const td = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (td === '') return { ok: false, error: 'missing trust domain' };
  if (td.includes('@')) return { ok: false, error: 'user info is not allowed' };
  if (td.includes(':')) return { ok: false, error: 'a port is not allowed' };
  if (!TRUST_DOMAIN.test(td)) return { ok: false, error: 'trust domain must be lower-case letters, digits, dots, dashes and underscores' };
  if (path === '/') return { ok: false, error: 'trailing slash' };
  const segments = path ? path.slice(1).split('/') : [];
  for (const s of segments) {
    if (s === '') return { ok: false, error: 'empty path segment' };
    if (s === '.' || s === '..') return { ok: false, error: 'dot segments are not allowed' };
    if (!SEGMENT.test(s)) return { ok: false, error: `invalid character in path segment ${JSON.stringify(s)}` };
  }
  const out: SpiffeResult = { ok: true, trust_domain: td, path };
  if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
    out.namespace = segments[1]!;
    out.service_account = segments[3]!;
  }
  return out;
}
