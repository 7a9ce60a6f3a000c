import { domainToASCII } from 'node:url';
import { classifyIp, isMetadataHost, type IpClass } from './ip-class.js';

export interface UrlFact {
  /** Where in the arguments the URL was found, e.g. `url`, `items[0].href`. */
  path: string;
  raw: string;
  scheme: string;
  /** Canonical host: lower case, IDNA (punycode), no trailing dot, IPv6 without brackets. */
  host: string;
  /** Explicit port, else the scheme's default (80, 443, 21, …), else null. */
  port: number | null;
  url_path: string;
  query: string;
  ip: string | null;
  ip_version: 4 | 6 | null;
  ip_class: IpClass | null;
  is_metadata: boolean;
  has_userinfo: boolean;
  /** True where parsers may read this URL differently; `ambiguity` says why. */
  ambiguous: boolean;
  ambiguity: string[];
}

const SCHEME_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
// RFC 3986, appendix B.
const RFC3986 = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21, gopher: 70 };

/** True for a string mcp-authz treats as a URL: `scheme://…` or `//host…`, possibly wrapped in whitespace. */
export function looksLikeUrl(s: string): boolean {
  const t = s.trim();
  return SCHEME_URL.test(t) || (t.startsWith('//') && t.length > 2 && t[2] !== '/');
}

/** Facts about one URL string, or undefined when it is not a URL. Never throws. */
export function urlFact(raw: string, path: string): UrlFact | undefined {
  if (!looksLikeUrl(raw)) return undefined;
  const ambiguity = new Set<string>();
  const trimmed = raw.trim();
  if (trimmed !== raw) ambiguity.add('whitespace');
  if (CONTROL.test(raw)) ambiguity.add('control_characters');
  if (/\s/.test(trimmed)) ambiguity.add('whitespace');
  const target = trimmed.startsWith('//') ? `http:${trimmed}` : trimmed;

  const split = RFC3986.exec(target);
  const authority = split?.[2] ?? '';
  if (authority.includes('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:[^/]*\\/.test(target)) ambiguity.add('backslash');
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const rfcHostPort = at >= 0 ? authority.slice(at + 1) : authority;
  if (userinfo.includes('@')) ambiguity.add('multiple_at');
  if (/%/.test(rfcHostPort)) ambiguity.add('encoded_host');
  // Encoded delimiters in userinfo: a decode-then-parse reader sees a different host.
  if (/%(2f|40|5c|3f|23|2e|3a)/i.test(userinfo)) ambiguity.add('encoded_userinfo');

  let url: URL | undefined;
  try {
    url = new URL(target);
  } catch {
    ambiguity.add('invalid_host');
  }

  const scheme = (url?.protocol ?? `${split?.[1] ?? ''}:`).slice(0, -1).toLowerCase();
  const whatwgHost = url ? stripHost(url.hostname) : '';
  const rfcHost = rfcHostOnly(rfcHostPort);
  if (url && (url.host !== '' || rfcHost !== '') && rfcHost !== whatwgHost) ambiguity.add('parser_mismatch');
  if (url && url.hostname === '' && authority !== '') ambiguity.add('invalid_host');

  const host = url ? whatwgHost : rfcHost;
  const ipFacts = host ? classifyIp(host) : undefined;
  const explicitPort = url?.port ? Number(url.port) : undefined;
  const fact: UrlFact = {
    path,
    raw,
    scheme,
    host,
    port: explicitPort ?? DEFAULT_PORTS[scheme] ?? null,
    url_path: url ? url.pathname : (split?.[3] ?? ''),
    query: url ? url.search.replace(/^\?/, '') : (split?.[4] ?? ''),
    ip: ipFacts?.ip ?? null,
    ip_version: ipFacts?.ip_version ?? null,
    ip_class: ipFacts?.ip_class ?? null,
    is_metadata: ipFacts?.is_metadata ?? isMetadataHost(host),
    has_userinfo: userinfo !== '' || Boolean(url?.username || url?.password),
    ambiguous: false,
    ambiguity: [...ambiguity].sort(),
  };
  fact.ambiguous = fact.ambiguity.length > 0;
  return fact;
}

/** Lower case, brackets and trailing dot removed. */
function stripHost(h: string): string {
  let host = h.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** The host as an RFC 3986 reader (e.g. Python's urlsplit) sees it, normalised like WHATWG where that is lossless. */
function rfcHostOnly(hostPort: string): string {
  let host = hostPort;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end > 0 ? host.slice(1, end) : host;
    try {
      return new URL(`http://[${host}]/`).hostname.slice(1, -1);
    } catch {
      return host.toLowerCase();
    }
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (/[^\x00-\x7f]/.test(host)) host = domainToASCII(host) || host;
  return host;
}
