import { classifyIp, classifyLooseIp, isMetadataHost, type IpClass, type IpFacts } from './ip-class.js';
import { splitAuthority, splitUri } from './rfc3986.js';
import { hasIdnaMappedCharacters, INVISIBLE, isPlainDnsHost, normaliseRfcHost, stripHost } from './url-host.js';
import { type UrlShape, urlShape, wrappedUrl } from './url-shape.js';
import { isPublicTld } from './public-tld.js';

export { looksLikeUrl } from './url-shape.js';

/**
 * Why parsers may read a URL differently. Stable codes (policies and logs use them):
 * - `whitespace`: whitespace before/after the URL, or inside the scheme or authority;
 * - `control_characters`: a C0/C1 control character or DEL anywhere (WHATWG removes tab/CR/LF, others do not);
 * - `invisible_characters`: zero-width, bidi or other format characters in the authority;
 * - `backslash`: a `\` in the authority or path (WHATWG reads it as `/` for special schemes, RFC 3986 does not);
 * - `slashes`: a special scheme not followed by exactly `//` (`https:/x`, `https:x`, `https:///x`), or a
 *   protocol-relative URL with more than two slashes;
 * - `multiple_at`: more than one `@` in the authority;
 * - `encoded_userinfo`: a percent-escaped delimiter (`/ @ \ ? # . :`) in the userinfo;
 * - `encoded_host`: a percent-escape in the host;
 * - `idna_mapping`: non-ASCII look-alikes that IDNA maps to ASCII (`ｅｖｉｌ.com`, `a。b`);
 * - `ipv6_zone`: an IPv6 zone identifier (`[fe80::1%25eth0]`);
 * - `non_canonical_ip`: an IPv4 host not written as a dotted quad (`2852039166`, `0xA9FEA9FE`, `0251.…`, `127.1`);
 * - `host_characters`: a DNS host with characters other than `a-z 0-9 - _ .`, or an empty label (`a..b`);
 * - `invalid_url`: WHATWG URL rejects it (bad host, port, IDNA);
 * - `invalid_host`: a non-special scheme whose host is not a valid host for http;
 * - `parser_mismatch`: the WHATWG host differs from the RFC 3986 (urlsplit) host.
 */
export type AmbiguityCode =
  | 'whitespace'
  | 'control_characters'
  | 'invisible_characters'
  | 'backslash'
  | 'slashes'
  | 'multiple_at'
  | 'encoded_userinfo'
  | 'encoded_host'
  | 'idna_mapping'
  | 'ipv6_zone'
  | 'non_canonical_ip'
  | 'host_characters'
  | 'invalid_url'
  | 'invalid_host'
  | 'parser_mismatch';

export interface UrlFact {
  /** Where in the arguments the URL was found, e.g. `url`, `items[0].href` (see walk-strings.ts). */
  path: string;
  /** The string exactly as sent. */
  raw: string;
  /** Lower case; '' for a protocol-relative URL (`//host/x`), whose scheme depends on a base. */
  scheme: string;
  /** Canonical host: lower case, IDNA (punycode), no trailing dot, IPv6 without brackets; '' when none. */
  host: string;
  /** Explicit port, else the scheme's default, else null. */
  port: number | null;
  /** The URL's path as WHATWG URL reads it (dot segments resolved, percent-escapes kept). */
  url_path: string;
  /** The query string without `?`; '' when none. */
  query: string;
  ip: string | null;
  ip_version: 4 | 6 | null;
  ip_class: IpClass | null;
  /** A cloud metadata endpoint (by address, or by name such as metadata.google.internal). */
  is_metadata: boolean;
  /** `user[:password]@` present (also an empty one, or `@` that only an RFC 3986 reader sees). */
  has_userinfo: boolean;
  /** True when parsers may read this URL differently; `ambiguity` says why. */
  ambiguous: boolean;
  ambiguity: AmbiguityCode[];
  /**
   * The host is a DNS name whose last label is an IANA top-level domain (`com`, `dev`). False for IP addresses,
   * empty hosts and names a resolver can only complete through search domains or local zones
   * (`kubernetes.default`, `svc.ns`, `redis`, `printer.lan`): those are internal.
   */
  public_tld: boolean;
  /** Present on a URL found inside another (`jar:http://…!/x`, `view-source:…`): the wrapping schemes, outermost first. */
  wrapped_in?: string[];
}

export const DEFAULT_PORTS: Readonly<Record<string, number>> = Object.freeze({
  ftp: 21,
  ssh: 22,
  sftp: 22,
  telnet: 23,
  smtp: 25,
  tftp: 69,
  gopher: 70,
  http: 80,
  ws: 80,
  pop3: 110,
  nntp: 119,
  imap: 143,
  ldap: 389,
  https: 443,
  wss: 443,
  smb: 445,
  rtsp: 554,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  dict: 2628,
  mysql: 3306,
  postgres: 5432,
  postgresql: 5432,
  amqp: 5672,
  redis: 6379,
  git: 9418,
  mongodb: 27017,
});

const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const WHITESPACE = /\s/;
const ENCODED_DELIMITER = /%(?:2f|40|5c|3f|23|2e|3a)/i;
const NON_ASCII = /[^\x00-\x7f]/;
const BACKSLASH_BEFORE_QUERY = /^[^?#\\]*\\/;

function parse(s: string): URL | undefined {
  // One parse: invalid URLs (and their exception cost) are the rare case.
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Facts about one string, or undefined when it is not a URL (see url-shape.ts). Never throws. */
export function urlFact(raw: string, path: string): UrlFact | undefined {
  const shape = urlShape(raw);
  return shape ? factFromShape(raw, path, shape) : undefined;
}

/**
 * Facts about one string: the URL itself, then every URL it wraps (`jar:http://169.254.169.254/x!/y` yields the
 * jar: URL and the http: one, with `wrapped_in: ["jar"]`). Empty when the string is not a URL. Never throws.
 */
export function urlFacts(raw: string, path: string): UrlFact[] {
  const out: UrlFact[] = [];
  let shape = urlShape(raw);
  const wrappers: string[] = [];
  let text = raw;
  for (let depth = 0; shape; depth++) {
    const fact = factFromShape(text, path, shape);
    if (wrappers.length > 0) {
      fact.wrapped_in = [...wrappers];
    }
    out.push(fact);
    const inner = wrappedUrl(shape, depth);
    if (inner === undefined) break;
    wrappers.push(shape.scheme);
    text = inner;
    shape = urlShape(inner, depth + 1);
  }
  return out;
}

function factFromShape(raw: string, path: string, shape: UrlShape): UrlFact {
  const { text, scheme, special, slashes } = shape;
  const ambiguity: AmbiguityCode[] = [];
  const flag = (code: AmbiguityCode): void => {
    if (!ambiguity.includes(code)) ambiguity.push(code);
  };
  const authority = text.slice(shape.authorityStart, shape.authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;

  // The scheme has no whitespace (url-shape.ts), so whitespace before the path is in the slashes or authority.
  if (shape.trimmedEnds || WHITESPACE.test(authority)) flag('whitespace');
  if (CONTROL.test(raw)) flag('control_characters');
  if (NON_ASCII.test(authority)) {
    if (INVISIBLE.test(authority)) flag('invisible_characters');
    if (hasIdnaMappedCharacters(hostPort)) flag('idna_mapping');
  }
  if (text.includes('\\') && BACKSLASH_BEFORE_QUERY.test(text)) flag('backslash');
  if (scheme === '' ? slashes.length !== 2 : special && scheme !== 'file' && slashes.length !== 2) flag('slashes');
  if (at >= 0) {
    if (userinfo.includes('@')) flag('multiple_at');
    if (ENCODED_DELIMITER.test(userinfo)) flag('encoded_userinfo');
  }
  if (hostPort.includes('%')) flag(hostPort.startsWith('[') ? 'ipv6_zone' : 'encoded_host');

  // WHATWG reading. A protocol-relative URL is read as http would read it; a non-special scheme's host is an
  // opaque string to WHATWG, so its host is canonicalised by reading the same authority as http.
  const url = parse(scheme === '' ? `http:${text}` : text);
  const hostUrl = special || scheme === '' || !url || url.host === '' ? url : parse(`http:${text.slice(scheme.length + 1)}`);
  if (!url) flag('invalid_url');
  else if (!hostUrl) flag('invalid_host');

  // RFC 3986 reading (what Python's urlsplit, and many proxies, see).
  const rfc = splitUri(text);
  const rfcAuth = rfc.authority === undefined ? undefined : splitAuthority(rfc.authority);
  const rfcBracketed = rfcAuth !== undefined && rfc.authority!.slice(rfc.authority!.lastIndexOf('@') + 1).startsWith('[');
  const rfcHost = rfcAuth ? normaliseRfcHost(rfcAuth.host, rfcBracketed) : '';

  let host: string;
  let ipFacts: IpFacts | undefined;
  if (hostUrl) {
    host = stripHost(hostUrl.hostname);
    ipFacts = classifyIp(host);
    if (rfcHost !== host) flag('parser_mismatch');
    // An IPv4 address written another way (decimal, hex, octal, short): inet_aton agrees, a DNS-minded reader
    // (or a string compare) does not.
    if (ipFacts?.ip_version === 4 && rfcHost !== host && rfcAuth && classifyLooseIp(rfcAuth.host)?.ip === ipFacts.ip) {
      flag('non_canonical_ip');
    }
    if (!ipFacts && !isPlainDnsHost(host)) flag('host_characters');
  } else {
    // WHATWG rejected it: report what an RFC 3986 reader (and inet_aton) would connect to.
    host = url ? stripHost(url.hostname.toLowerCase()) : rfcHost;
    ipFacts = rfcAuth ? classifyLooseIp(rfcAuth.host) : undefined;
  }

  // The explicit port (WHATWG drops a scheme's default port, and would drop :80 of a protocol-relative URL read
  // as http: take that one as written), else the scheme's default.
  let port: number | null = null;
  if (url && scheme !== '') port = url.port !== '' ? Number(url.port) : null;
  else if (rfcAuth?.port && /^\d{1,5}$/.test(rfcAuth.port)) port = Number(rfcAuth.port);
  if (port === null && scheme !== '') port = DEFAULT_PORTS[scheme] ?? null;

  if (ambiguity.length > 1) ambiguity.sort();
  return {
    path,
    raw,
    scheme,
    host,
    port,
    url_path: url ? url.pathname : rfc.path,
    query: url ? url.search.slice(1) : (rfc.query ?? ''),
    ip: ipFacts?.ip ?? null,
    ip_version: ipFacts?.ip_version ?? null,
    ip_class: ipFacts?.ip_class ?? null,
    is_metadata: ipFacts ? ipFacts.is_metadata : isMetadataHost(host),
    has_userinfo: at >= 0 || (rfc.authority?.includes('@') ?? false) || Boolean(url && (url.username || url.password)),
    ambiguous: ambiguity.length > 0,
    ambiguity,
    public_tld: !ipFacts && isPublicTld(host),
  };
}
