export interface SpiffeId {
  trust_domain: string;
  /** The path including its leading `/`, or `""` for the trust domain's own ID. */
  path: string;
  /** Kubernetes convention `/ns/<namespace>/sa/<service account>` (Istio, SPIRE k8s workload registrar). */
  namespace?: string;
  service_account?: string;
}

export type SpiffeParseResult = SpiffeId | { error: string };

const PREFIX = 'spiffe://';
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN_BYTES = 255;
const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;

/**
 * Parse a SPIFFE ID strictly, as the SPIFFE ID specification (and go-spiffe) do: the scheme is exactly
 * `spiffe://`; the trust domain is 1–255 characters of `[a-z0-9._-]` with no user info or port; the path is
 * empty or `/`-separated segments of `[A-Za-z0-9._-]` that are neither empty nor `.`/`..` (so no trailing slash,
 * no percent-encoding); no query or fragment; at most 2048 bytes in all. Never throws.
 */
export function parseSpiffeId(id: string): SpiffeParseResult {
  if (typeof id !== 'string' || id === '') return { error: 'empty SPIFFE ID' };
  // All valid characters are ASCII, so the UTF-16 length bounds the byte length from below.
  if (id.length > MAX_ID_BYTES || Buffer.byteLength(id) > MAX_ID_BYTES) return { error: `longer than ${MAX_ID_BYTES} bytes` };
  if (!id.startsWith(PREFIX)) return { error: 'the scheme must be spiffe://' };
  const rest = id.slice(PREFIX.length);
  if (rest.includes('?')) return { error: 'a query is not allowed' };
  if (rest.includes('#')) return { error: 'a fragment is not allowed' };

  const slash = rest.indexOf('/');
  const td = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (td === '') return { error: 'the trust domain is missing' };
  if (td.includes('@')) return { error: 'user info is not allowed' };
  if (td.includes(':')) return { error: 'a port is not allowed' };
  if (td.length > MAX_TRUST_DOMAIN_BYTES) return { error: `the trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes` };
  if (!TRUST_DOMAIN_CHARS.test(td)) return { error: 'the trust domain may contain only lower-case letters, digits, ".", "-" and "_"' };

  const segments = path === '' ? [] : path.slice(1).split('/');
  for (const s of segments) {
    if (s === '') return { error: path.endsWith('/') ? 'a trailing "/" is not allowed' : 'empty path segments are not allowed' };
    if (s === '.' || s === '..') return { error: 'dot segments are not allowed' };
    if (!SEGMENT_CHARS.test(s)) return { error: 'path segments may contain only letters, digits, ".", "-" and "_"' };
  }

  const out: SpiffeId = { trust_domain: td, path };
  if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
    out.namespace = segments[1]!;
    out.service_account = segments[3]!;
  }
  return out;
}
