/**
 * Redaction of logged input documents. Paths are dotted; `[*]` or `*` matches every element or key, `[2]` one
 * element, `["a.b"]` quotes a key. Prefixes name where a path applies:
 *   arguments.<path>   tool-call and prompt arguments wherever they appear: input.mcp.arguments,
 *                      input.mcp.params.arguments, every input.mcp.batch[i] (arguments and params.arguments) and the
 *                      same places in input.parsed_body (single message or batch)
 *   claims.<path>      identity claims: input.identity.user.claims (`identity.user.claims.<path>` works as well)
 *   headers.<name>     a request header, case-insensitive, in attributes.request.http.headers and headerMap
 * Any other path is taken from the input root (e.g. `mcp.params._meta.token`).
 * The headers authorization, proxy-authorization, cookie, set-cookie and x-api-key are always redacted, and the
 * raw body (attributes.request.http.body / rawBody) is never logged: its parsed form is, redacted.
 *
 * Every string (or number) a path selects is a *secret*. Secrets of 4 characters or more are also removed wherever
 * else they occur: a URL fact (`mcp.urls[i]`) whose raw URL contains one is replaced by `{path, raw: "[REDACTED]"}`,
 * and any other string containing one (in the input copy, or the decision's message) becomes "[REDACTED]".
 */
export const REDACTED = '[REDACTED]';
export const ALWAYS_REDACTED_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
/** Shorter secrets are redacted where the path selects them, but not searched for elsewhere. */
export const MIN_SCRUB_LENGTH = 4;
const OMITTED_BODY = '[omitted: see parsed_body]';
/** Bound on the values visited when collecting the secrets of one selected subtree, or scrubbing a copy. */
const MAX_NODES = 100_000;

type Path = string[];
type Obj = Record<string, unknown>;

export interface Redactor {
  /** A redacted, scrubbed deep copy, and the secrets removed; the original is not modified. */
  redact(input: unknown): { input: unknown; secrets: string[] };
  /** redact(input).input */
  redactInput(input: unknown): unknown;
  /** The secrets the configured paths select in this input, without copying it (for scrubbing other fields). */
  secretsOf(input: unknown): string[];
  /** True when a header must be redacted. */
  isRedactedHeader(name: string): boolean;
  /** The values of the redacted headers among these (a value Envoy joined with `,` also in its parts). */
  headerSecrets(headers: Record<string, string>): string[];
  /**
   * True when no configured path starts at the input's root: the secrets are then in headers, tool arguments and
   * token claims only, which two requests with one fingerprint share but for their headers.
   */
  readonly entryStable: boolean;
}

export interface RedactorOptions {
  /** More header names to redact always (e.g. the JWT payload header the identity config reads). */
  extraHeaders?: readonly string[];
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object';

export function createRedactor(fields: readonly string[], opts: RedactorOptions = {}): Redactor {
  const argumentPaths: Path[] = [];
  const claimPaths: Path[] = [];
  const rootPaths: Path[] = [];
  const headers = new Set([...ALWAYS_REDACTED_HEADERS, ...(opts.extraHeaders ?? []).map((h) => h.toLowerCase())]);
  for (const field of fields) {
    const path = parsePath(field);
    const [head, ...rest] = path;
    if (head === 'arguments' && rest.length) argumentPaths.push(rest);
    else if (head === 'claims' && rest.length) claimPaths.push(rest);
    else if (head === 'headers' && rest.length === 1) headers.add(rest[0]!.toLowerCase());
    else rootPaths.push(path);
  }

  /** Visit every configured location; collect the selected values' strings and, when `mutate`, replace them. */
  const visit = (root: unknown, mutate: boolean, secrets: Set<string>): void => {
    if (!isObj(root)) return;
    const select = (node: unknown, path: Path) => selectPath(node, path, mutate, secrets);
    const http = isObj(root.attributes) && isObj(root.attributes.request) ? root.attributes.request.http : undefined;
    if (isObj(http)) {
      if (isObj(http.headers)) {
        const h = http.headers;
        for (const name of Object.keys(h)) {
          if (!headers.has(name.toLowerCase())) continue;
          collect(h[name], secrets);
          if (mutate) h[name] = REDACTED;
        }
      }
      const headerMap = isObj(http.headerMap) ? http.headerMap.headers : undefined;
      for (const e of Array.isArray(headerMap) ? headerMap : []) {
        if (!isObj(e) || typeof e.key !== 'string' || !headers.has(e.key.toLowerCase())) continue;
        if (typeof e.value === 'string') collect(e.value, secrets);
        if (typeof e.rawValue === 'string') collect(Buffer.from(e.rawValue, 'base64').toString('latin1'), secrets);
        if (mutate && 'value' in e) e.value = REDACTED;
        if (mutate && 'rawValue' in e) e.rawValue = REDACTED;
      }
    }
    if (argumentPaths.length) {
      const message = (m: unknown): void => {
        if (!isObj(m)) return;
        for (const p of argumentPaths) {
          select(m.arguments, p);
          if (isObj(m.params)) select(m.params.arguments, p);
        }
      };
      const mcp = root.mcp;
      if (isObj(mcp)) {
        message(mcp);
        for (const m of Array.isArray(mcp.batch) ? mcp.batch : []) message(m);
      }
      const body = root.parsed_body;
      for (const m of Array.isArray(body) ? body : [body]) message(m);
    }
    const user = isObj(root.identity) ? root.identity.user : undefined;
    if (isObj(user)) for (const p of claimPaths) select(user.claims, p);
    for (const p of rootPaths) select(root, p);
  };

  const secretsOf = (input: unknown): string[] => {
    const secrets = new Set<string>();
    visit(input, false, secrets);
    return [...secrets];
  };

  const redact = (input: unknown): { input: unknown; secrets: string[] } => {
    const copy = structuredClone(input);
    const found = new Set<string>();
    visit(copy, true, found);
    if (isObj(copy) && isObj(copy.attributes) && isObj(copy.attributes.request) && isObj(copy.attributes.request.http)) {
      const http = copy.attributes.request.http;
      for (const k of ['body', 'rawBody', 'raw_body']) if (k in http) http[k] = OMITTED_BODY;
    }
    const secrets = [...found];
    const long = secrets.filter((s) => s.length >= MIN_SCRUB_LENGTH);
    return { input: long.length ? scrubTree(copy, long) : copy, secrets };
  };

  return {
    redact,
    redactInput: (input) => redact(input).input,
    secretsOf,
    isRedactedHeader: (name) => headers.has(name.toLowerCase()),
    headerSecrets(h) {
      const secrets = new Set<string>();
      for (const name of Object.keys(h)) {
        if (!headers.has(name.toLowerCase())) continue;
        const v = h[name]!;
        collect(v, secrets);
        if (v.includes(',')) for (const part of v.split(',')) collect(part.trim(), secrets);
      }
      return [...secrets];
    },
    entryStable: rootPaths.length === 0,
  };
}

/** `a.b[0].c`, `items[*].ssn`, `a.*.b`, `a["x.y"]` → ['a','b','0','c'] … */
export function parsePath(s: string): Path {
  return s
    .replace(/\[(\*|\d+)\]/g, '.$1')
    .replace(/\["([^"]+)"\]/g, (_m, k: string) => `.${k.replace(/\./g, '\u0000')}`)
    .split('.')
    .filter((p) => p !== '')
    .map((p) => p.replace(/\u0000/g, '.'));
}

/** Replace every occurrence of a secret (of MIN_SCRUB_LENGTH or more) in a string. */
export function scrub(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (secret.length >= MIN_SCRUB_LENGTH && out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function selectPath(node: unknown, path: Path, mutate: boolean, secrets: Set<string>): void {
  if (!isObj(node) || path.length === 0) return;
  const [key, ...rest] = path as [string, ...string[]];
  const keys = key === '*' ? Object.keys(node) : Object.hasOwn(node, key) ? [key] : [];
  for (const k of keys) {
    if (rest.length > 0) {
      selectPath(node[k], rest, mutate, secrets);
      continue;
    }
    collect(node[k], secrets);
    if (mutate) node[k] = REDACTED;
  }
}

/** Every string and number inside a value (bounded). */
function collect(value: unknown, secrets: Set<string>): void {
  const stack = [value];
  for (let n = 0; stack.length && n < MAX_NODES; n++) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v !== '' && v !== REDACTED) secrets.add(v);
    } else if (typeof v === 'number' && Number.isFinite(v)) secrets.add(String(v));
    else if (isObj(v)) stack.push(...Object.values(v));
  }
}

/** URL facts built from a secret go whole; any other string containing a secret becomes REDACTED. */
function scrubTree(root: unknown, secrets: readonly string[]): unknown {
  const has = (s: string) => secrets.some((x) => s.includes(x));
  const stack: unknown[] = [root];
  for (let n = 0; stack.length && n < MAX_NODES; n++) {
    const node = stack.pop();
    if (!isObj(node)) continue;
    if (Array.isArray(node.urls)) {
      const fromSecret = (raw: string) => has(raw) || (raw.length >= MIN_SCRUB_LENGTH && secrets.some((x) => x.includes(raw)));
      node.urls = node.urls.map((u: unknown) => (isObj(u) && typeof u.raw === 'string' && fromSecret(u.raw) ? { path: u.path, raw: REDACTED } : u));
    }
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') {
        if (v !== REDACTED && has(v)) node[k] = REDACTED;
      } else if (isObj(v)) stack.push(v);
    }
  }
  return root;
}
