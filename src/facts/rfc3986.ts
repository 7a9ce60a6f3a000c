/**
 * A URI split as RFC 3986 (appendix B) and Python's `urllib.parse.urlsplit` read it. It differs from WHATWG
 * `new URL` exactly where parsers disagree (backslashes, several `@`, numeric hosts, …), which is why
 * url-facts.ts compares the two.
 */

// RFC 3986, appendix B: scheme, authority, path, query, fragment. Anchored, one pass: linear.
const APPENDIX_B = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/;

export interface Rfc3986Parts {
  scheme: string | undefined;
  /** `undefined` when there is no `//` authority. */
  authority: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

export interface Rfc3986Authority {
  /** Everything before the LAST `@` (as `urlsplit` does), or undefined without `@`. */
  userinfo: string | undefined;
  /** The host as written: brackets removed from an IP literal, no port. */
  host: string;
  /** The port as written (digits or not), or undefined. */
  port: string | undefined;
}

export function splitUri(s: string): Rfc3986Parts {
  const m = APPENDIX_B.exec(s);
  // The pattern matches every string (each group is optional and the path takes any run of non-`?#`).
  return {
    scheme: m?.[1],
    authority: m?.[2],
    path: m?.[3] ?? '',
    query: m?.[4],
    fragment: m?.[5],
  };
}

/** userinfo@host:port, like `urlsplit`'s `username`/`hostname`/`port` (userinfo ends at the last `@`). */
export function splitAuthority(authority: string): Rfc3986Authority {
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    // An unterminated bracket (urlsplit raises "Invalid IPv6 URL"): the whole thing is the (invalid) host.
    if (end < 0) return { userinfo, host: hostPort, port: undefined };
    const rest = hostPort.slice(end + 1);
    return { userinfo, host: hostPort.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  // urlsplit: hostname is everything before the FIRST colon.
  const colon = hostPort.indexOf(':');
  return colon >= 0 ? { userinfo, host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) } : { userinfo, host: hostPort, port: undefined };
}
