/**
 * Redaction of logged input documents. Paths are dotted, `[*]` / `*` match every element or key, and three
 * prefixes name where they apply:
 *   arguments.<path>   tool-call arguments: input.mcp.arguments, every input.mcp.batch[i].arguments and the
 *                      same place in input.parsed_body (single message or batch)
 *   claims.<path>      identity claims: input.identity.user.claims
 *   headers.<name>     a request header (case-insensitive)
 * Any other path is taken from the input root (e.g. `mcp.params._meta.token`).
 * The headers authorization, proxy-authorization, cookie and x-api-key are always redacted, and the raw body
 * (attributes.request.http.body / rawBody) is never logged: its parsed form is, redacted.
 */
export const REDACTED = '[REDACTED]';
export const ALWAYS_REDACTED_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

type Path = string[];

export interface Redactor {
  /** A redacted deep copy; the original is not modified. */
  redactInput(input: unknown): unknown;
  /** True when a header must be redacted. */
  isRedactedHeader(name: string): boolean;
}

export function createRedactor(fields: readonly string[]): Redactor {
  const argumentPaths: Path[] = [];
  const claimPaths: Path[] = [];
  const rootPaths: Path[] = [];
  const headers = new Set(ALWAYS_REDACTED_HEADERS);
  for (const field of fields) {
    const path = parsePath(field);
    const [head, ...rest] = path;
    if (head === 'arguments' && rest.length) argumentPaths.push(rest);
    else if (head === 'claims' && rest.length) claimPaths.push(rest);
    else if (head === 'headers' && rest.length === 1) headers.add(rest[0]!.toLowerCase());
    else rootPaths.push(path);
  }

  const redactArgs = (args: unknown): void => {
    for (const p of argumentPaths) redactPath(args, p);
  };

  return {
    isRedactedHeader: (name) => headers.has(name.toLowerCase()),
    redactInput(input) {
      const copy = structuredClone(input) as Record<string, any>;
      const http = copy?.attributes?.request?.http;
      if (http) {
        if ('body' in http) http.body = '[omitted: see parsed_body]';
        if ('rawBody' in http) http.rawBody = '[omitted: see parsed_body]';
        if (http.headers && typeof http.headers === 'object') {
          for (const name of Object.keys(http.headers)) if (headers.has(name.toLowerCase())) http.headers[name] = REDACTED;
        }
      }
      const mcp = copy?.mcp;
      if (mcp) {
        redactArgs(mcp.arguments);
        if (mcp.params && typeof mcp.params === 'object') redactArgs(mcp.params.arguments);
        for (const m of Array.isArray(mcp.batch) ? mcp.batch : []) {
          redactArgs(m?.arguments);
          if (m?.params && typeof m.params === 'object') redactArgs(m.params.arguments);
        }
      }
      const body = copy?.parsed_body;
      for (const msg of Array.isArray(body) ? body : [body]) {
        if (msg && typeof msg === 'object' && msg.params && typeof msg.params === 'object') redactArgs(msg.params.arguments);
      }
      const claims = copy?.identity?.user?.claims;
      for (const p of claimPaths) redactPath(claims, p);
      for (const p of rootPaths) redactPath(copy, p);
      return copy;
    },
  };
}

/** `a.b[0].c`, `items[*].ssn`, `a.*.b` → ['a','b','0','c'] … */
export function parsePath(s: string): Path {
  return s
    .replace(/\[(\*|\d+)\]/g, '.$1')
    .replace(/\["([^"]+)"\]/g, (_m, k: string) => `.${k.replace(/\./g, '\u0000')}`)
    .split('.')
    .filter((p) => p !== '')
    .map((p) => p.replace(/\u0000/g, '.'));
}

function redactPath(node: unknown, path: Path): void {
  if (node === null || typeof node !== 'object' || path.length === 0) return;
  const [key, ...rest] = path as [string, ...string[]];
  const obj = node as Record<string, unknown>;
  const keys = key === '*' ? Object.keys(obj) : Object.hasOwn(obj, key) ? [key] : [];
  for (const k of keys) {
    if (rest.length === 0) obj[k] = REDACTED;
    else redactPath(obj[k], rest);
  }
}
