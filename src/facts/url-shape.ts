/**
 * Which strings count as URLs, and the raw pieces of one (before any parser canonicalises it).
 *
 * A string is a URL when, after removing leading/trailing whitespace and control characters (which is then
 * flagged) and ASCII tab/CR/LF anywhere (which WHATWG URL removes too, and is flagged), it is:
 *   1. `scheme://…` for any scheme (`gopher://`, `redis://`, `file:///…`); for the WHATWG "special" schemes
 *      (http, https, ws, wss, ftp, file) backslashes count as slashes: `https:\\evil.com`;
 *   2. a special scheme other than `file` with fewer or more slashes, as WHATWG URL still reads a host from it:
 *      `https:/evil.com`, `https:evil.com`, `https:///evil.com` (with fewer than two slashes, the host — after any
 *      `userinfo@`, up to the first `/ \ ? #` — must be non-empty and free of whitespace); `file:` with a slash;
 *   3. protocol-relative `//host/…` (or `\\host`, `/\host`, `///host`) whose authority (up to the first
 *      `/ \ ? #`) is non-empty and free of whitespace and control characters (so `// a comment` is not a URL);
 *   4. a scheme listed in KNOWN_SCHEMES followed by anything but whitespace, with or without slashes: `file:` and
 *      other schemes do not need `/` or `//` (`file:../../etc/passwd` is a relative file to Python's urllib,
 *      `gopher:x`, `jar:http://…!/x`, `netdoc:/etc/passwd`);
 *   5. any scheme wrapping a URL (`view-source:http://…`, `url:http://…`, `x:jar:http://…`): url-facts.ts reports
 *      the wrapped URL too.
 * Not URLs: `host/path` without a scheme, `mailto:`, `data:`, `urn:`, `javascript:` without `//`, bare words.
 */

/**
 * Schemes recognised without slashes: the WHATWG special schemes, schemes with a well-known port, the wrapping
 * and local-file schemes of Java (`jar`, `netdoc`), browsers (`view-source`), Java's `url:` prefix, PHP stream
 * wrappers (`phar`, `php`, `expect`, `zip`, `glob`, `compress.zlib`) and `feed`.
 */
export const KNOWN_SCHEMES: ReadonlySet<string> = new Set([
  'http',
  'https',
  'ws',
  'wss',
  'ftp',
  'file',
  'ssh',
  'sftp',
  'telnet',
  'smtp',
  'tftp',
  'gopher',
  'pop3',
  'nntp',
  'imap',
  'ldap',
  'ldaps',
  'smb',
  'rtsp',
  'imaps',
  'pop3s',
  'dict',
  'mysql',
  'postgres',
  'postgresql',
  'amqp',
  'redis',
  'git',
  'mongodb',
  'jar',
  'netdoc',
  'view-source',
  'url',
  'feed',
  'phar',
  'php',
  'expect',
  'zip',
  'glob',
  'compress.zlib',
  'compress.bzip2',
  'ogg',
  'rar',
  'ssh2.shell',
  'ssh2.exec',
  'ssh2.tunnel',
  'ssh2.sftp',
  'ssh2.scp',
  'jdbc',
  'ldapi',
]);

/** How many wrapping schemes deep a URL is still read (`a:b:c:d:http://…`). */
export const MAX_WRAPPING = 4;

export const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);

export interface UrlShape {
  /** Leading/trailing whitespace or control characters were removed. */
  trimmedEnds: boolean;
  /** The string to parse: trimmed, with ASCII tab/CR/LF removed. */
  text: string;
  /** Lower-case scheme; '' for a protocol-relative URL. */
  scheme: string;
  special: boolean;
  /** The run of `/` and `\` after `scheme:` (or at the start of a protocol-relative URL). */
  slashes: string;
  /** Index in `text` where the authority starts (after the slashes). */
  authorityStart: number;
  /** Index in `text` where the authority ends: the first `/`, `?` or `#` after it (RFC 3986), or the end. */
  authorityEnd: number;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:/;
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f-\x9f]/;
const TAB_OR_NEWLINE = /[\t\n\r]/;
const TAB_OR_NEWLINE_ALL = /[\t\n\r]/g;

/** Characters trimmed from both ends: C0 controls, space, DEL, C1 controls and Unicode whitespace. */
function isTrimmed(c: number): boolean {
  if (c <= 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isSlash(c: number): boolean {
  return c === 0x2f || c === 0x5c;
}

function isHostEnd(c: number): boolean {
  return c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23;
}

/** The shape of a URL string, or undefined when the string is not a URL (see above). Cheap for non-URLs. */
export function urlShape(raw: string, wrapping = 0): UrlShape | undefined {
  let start = 0;
  let end = raw.length;
  while (start < end && isTrimmed(raw.charCodeAt(start))) start++;
  if (start === end) return undefined;
  // Fast reject: a URL starts with a letter (scheme) or a slash/backslash (protocol-relative).
  const first = raw.charCodeAt(start);
  const letter = (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7a;
  if (!letter && !isSlash(first)) return undefined;
  while (end > start && isTrimmed(raw.charCodeAt(end - 1))) end--;
  const trimmedEnds = start > 0 || end < raw.length;
  const trimmed = trimmedEnds ? raw.slice(start, end) : raw;

  let scheme = '';
  let special = false;
  let pos = 0;
  let text = trimmed;
  let m: RegExpExecArray | null = null;
  if (letter) {
    // Most strings that start with a letter are not URLs: decide on the scheme before scanning the whole string.
    m = SCHEME.exec(trimmed);
    const plausible =
      m !== null &&
      (KNOWN_SCHEMES.has(m[0].slice(0, -1).toLowerCase()) || trimmed.startsWith('//', m[0].length) || wrapsUrl(trimmed.slice(m[0].length), wrapping));
    if (!plausible && !TAB_OR_NEWLINE.test(trimmed.slice(0, 40))) return undefined;
  }
  if (TAB_OR_NEWLINE.test(trimmed)) text = trimmed.replace(TAB_OR_NEWLINE_ALL, '');
  if (letter) {
    if (text !== trimmed) m = SCHEME.exec(text);
    if (!m) return undefined;
    scheme = m[0].slice(0, -1).toLowerCase();
    special = SPECIAL_SCHEMES.has(scheme);
    pos = m[0].length;
  }
  let slashEnd = pos;
  while (slashEnd < text.length && slashEnd - pos < 64 && isSlash(text.charCodeAt(slashEnd))) slashEnd++;
  const slashes = text.slice(pos, slashEnd);

  // The host as WHATWG reads it for special schemes: up to the first / \ ? #.
  let hostEnd = slashEnd;
  while (hostEnd < text.length && !isHostEnd(text.charCodeAt(hostEnd))) hostEnd++;
  const hostPart = text.slice(slashEnd, hostEnd);
  if (scheme === '') {
    // Strict, so that code comments are not URLs: no whitespace even in a userinfo.
    if (slashes.length < 2 || hostPart === '' || WHITESPACE_OR_CONTROL.test(hostPart)) return undefined;
  } else if (special) {
    // `https: x@evil.com` still reaches evil.com (the userinfo may hold spaces): judge the part after the last `@`.
    const host = hostPart.slice(hostPart.lastIndexOf('@') + 1);
    const hostLike = host !== '' && !WHITESPACE_OR_CONTROL.test(host);
    if (scheme === 'file' ? !opaqueRest(text, pos) : slashes.length < 2 && !hostLike) return undefined;
  } else if (!slashes.startsWith('//') && !(KNOWN_SCHEMES.has(scheme) && opaqueRest(text, pos)) && !wrapsUrl(text.slice(pos), wrapping)) {
    return undefined;
  }

  let authorityEnd = slashEnd;
  while (authorityEnd < text.length) {
    const c = text.charCodeAt(authorityEnd);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    authorityEnd++;
  }
  return { trimmedEnds, text, scheme, special, slashes, authorityStart: slashEnd, authorityEnd };
}

/** Something follows `scheme:` and does not start with whitespace (`file: x` is prose, `file:x` a relative file). */
function opaqueRest(text: string, pos: number): boolean {
  return pos < text.length && !WHITESPACE_OR_CONTROL.test(text[pos]!);
}

/** The text after `scheme:` is itself a URL (bounded by MAX_WRAPPING). */
function wrapsUrl(rest: string, wrapping: number): boolean {
  // The wrapped URL has its own scheme (`jar:http://…`): `c:\\dir` is a Windows path, not a wrapped `\\dir`.
  if (wrapping >= MAX_WRAPPING || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rest)) return false;
  return urlShape(rest, wrapping + 1) !== undefined;
}

/** The URL wrapped after `scheme:` (`jar:http://…`, `view-source:…`), or undefined. */
export function wrappedUrl(shape: UrlShape, wrapping: number): string | undefined {
  if (shape.scheme === '' || (shape.special && shape.slashes.length > 0)) return undefined;
  const rest = shape.text.slice(shape.scheme.length + 1);
  return wrapsUrl(rest, wrapping) ? rest : undefined;
}

/** True for a string mcp-authz treats as a URL (see the module comment). */
export function looksLikeUrl(s: string): boolean {
  return urlShape(s) !== undefined;
}
