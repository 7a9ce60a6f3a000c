import { DEFAULT_VOLATILE_HEADERS, DEFAULT_VOLATILE_PATHS } from './volatile-fields.js';

/**
 * Canonical serialisation of a policy input, for cache keys.
 *
 * The policy receives `JSON.stringify(input)` (that is what the engine, src/rego-wasm/wasm-runtime.ts, hands to the module), and
 * Rego objects are unordered. So two inputs are the same to the policy exactly when their JSON texts are equal up
 * to object key order. The canonical form here is that JSON text with object keys sorted (UTF-16 code-unit order)
 * at every depth, following JSON.stringify's rules otherwise: `toJSON` is honoured, `undefined`, functions and
 * symbols are left out of objects and become `null` in arrays, non-finite numbers become `null`, strings are
 * escaped as JSON.stringify escapes them (lone surrogates included, so the text is well-formed and hashing it as
 * UTF-8 loses nothing). Types stay apart (`1` vs `"1"`, `null` vs a missing key). BigInt throws, as it does in
 * JSON.stringify (and therefore in the evaluation).
 *
 * Volatile fields are skipped while serialising, so the input is never cloned.
 */

interface PathNode {
  /** Leave the value at this path out. */
  drop: boolean;
  children: Map<string, PathNode>;
  /** This object is a header map (name → value): leave volatile names out. */
  headerMap: boolean;
  /** This array is a raw header list ([{ key, value | rawValue }]): leave entries with volatile keys out. */
  headerList: boolean;
  /** `*` in a path: what applies to every element of this array (never to an object key named "*"). */
  each?: PathNode;
}

/** A compiled description of what to leave out of the key. Build once with compileKeySpec. */
export interface KeySpec {
  readonly root: PathNode;
  readonly volatileHeaders: ReadonlySet<string>;
  /** Memo of quoted object keys (a cache, not configuration). */
  readonly quotedKeys: Map<string, string>;
}

/** Where Envoy's CheckRequest puts request headers in the input (protojson names, as OPA's Envoy plugin). */
const HEADER_MAP_PATH = ['attributes', 'request', 'http', 'headers'];
const HEADER_LIST_PATH = ['attributes', 'request', 'http', 'headerMap', 'headers'];

export interface KeySpecOptions {
  /** Header names (any case) to leave out. Default: DEFAULT_VOLATILE_HEADERS. */
  volatileHeaders?: readonly string[];
  /** Paths of object keys from the input root to leave out (`*` stands for every array element). Default: DEFAULT_VOLATILE_PATHS. */
  volatilePaths?: readonly (readonly string[])[];
}

export function compileKeySpec(opts: KeySpecOptions = {}): KeySpec {
  const root = newNode();
  const paths = opts.volatilePaths ?? DEFAULT_VOLATILE_PATHS;
  for (const path of paths) {
    if (path.length === 0) throw new RangeError('a volatile path must name at least one key (the whole input cannot be volatile)');
    nodeAt(root, path).drop = true;
  }
  const volatileHeaders = new Set((opts.volatileHeaders ?? DEFAULT_VOLATILE_HEADERS).map((h) => h.toLowerCase()));
  if (volatileHeaders.size > 0) {
    nodeAt(root, HEADER_MAP_PATH).headerMap = true;
    nodeAt(root, HEADER_LIST_PATH).headerList = true;
  }
  return { root, volatileHeaders, quotedKeys: new Map() };
}

function newNode(): PathNode {
  return { drop: false, children: new Map(), headerMap: false, headerList: false };
}

function nodeAt(root: PathNode, path: readonly string[]): PathNode {
  let node = root;
  for (const key of path) {
    if (key === '*') {
      node = node.each ??= newNode();
      continue;
    }
    let next = node.children.get(key);
    if (!next) node.children.set(key, (next = newNode()));
    node = next;
  }
  return node;
}

const DEFAULT_SPEC = compileKeySpec();

/** The canonical JSON text of `value` with the fields `spec` names left out. */
export function canonicalJson(value: unknown, spec: KeySpec = DEFAULT_SPEC): string {
  return write(value, '', spec.root, spec, new Map()) ?? '';
}

/** Strings JSON.stringify would emit between plain quotes: no quote, backslash, control character or surrogate. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

const MAX_QUOTED_KEYS = 4096;

/** Quoted object keys, memoised per spec: inputs repeat the same names. Bounded, as clients choose keys too. */
function quoteKey(k: string, memo: Map<string, string>): string {
  let q = memo.get(k);
  if (q === undefined) {
    q = quote(k);
    if (memo.size < MAX_QUOTED_KEYS && k.length <= 64) memo.set(k, q);
  }
  return q;
}

/**
 * Serialise canonically. `seen` memoises subtrees outside any volatile path (their text depends on nothing but
 * the value): the input shares objects — parsed_body.params is input.mcp.params, whose arguments are
 * input.mcp.arguments — and each is serialised once per key.
 */
function write(value: unknown, key: string | number, node: PathNode | undefined, spec: KeySpec, seen?: Map<object, string>): string | undefined {
  let v = value;
  if (typeof v === 'object' && v !== null) {
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: (k: string) => unknown }).toJSON(String(key));
  } else if (typeof v === 'bigint' && typeof (v as unknown as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as unknown as { toJSON: (k: string) => unknown }).toJSON(String(key));
  }
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('a BigInt cannot be serialised to JSON');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (v === null) return 'null';
  const composite = v as object;
  if (node === undefined && seen !== undefined) {
    const done = seen.get(composite);
    if (done !== undefined) return done;
    const text = writeComposite(composite, node, spec, seen);
    seen.set(composite, text);
    return text;
  }
  return writeComposite(composite, node, spec, seen);
}

function writeComposite(v: object, node: PathNode | undefined, spec: KeySpec, seen: Map<object, string> | undefined): string {
  if (Array.isArray(v)) {
    const list = node?.headerList;
    let out = '[';
    const each = node?.each;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (list && isVolatileHeaderEntry(item, spec.volatileHeaders)) continue;
      if (out.length > 1) out += ',';
      out += write(item, i, each, spec, seen) ?? 'null';
    }
    return `${out}]`;
  }
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return write(v.valueOf(), '', undefined, spec) ?? 'null';

  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  const headerMap = node?.headerMap;
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    let child: PathNode | undefined;
    if (node !== undefined) {
      if (headerMap && spec.volatileHeaders.has(k.toLowerCase())) continue;
      child = node.children.get(k);
      if (child?.drop) continue;
    }
    const text = write(obj[k], k, child, spec, seen);
    if (text === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoteKey(k, spec.quotedKeys)}:${text}`;
  }
  return `${out}}`;
}

function isVolatileHeaderEntry(item: unknown, volatileHeaders: ReadonlySet<string>): boolean {
  if (item === null || typeof item !== 'object') return false;
  const name = (item as { key?: unknown }).key;
  return typeof name === 'string' && volatileHeaders.has(name.toLowerCase());
}

/**
 * The JSON text of `value` as JSON.stringify writes it (object keys in their own order), with the fields `spec`
 * names left out. Only the objects on the spec's paths are walked here; every other subtree is written by the
 * native JSON.stringify. Not canonical (the body's keys keep the order the client wrote them in), but exact: equal
 * texts mean equal JSON values, so as a cache key it can miss a repeat spelled in another order but never confuse
 * two inputs. The CheckRequest's protobuf maps, whose order on the wire is random (Go clients), reach the input
 * with sorted keys (check/protojson.ts), so their order never costs a hit. Throws where JSON.stringify throws
 * (BigInt, cycles).
 */
export function keyJson(value: unknown, spec: KeySpec): string {
  return writeOrdered(value, spec.root, spec) ?? '';
}

function writeOrdered(value: unknown, node: PathNode | undefined, spec: KeySpec): string | undefined {
  // Off the spec's paths, and for values that are not plain containers: exactly what JSON.stringify writes.
  if (node === undefined || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    const list = node.headerList;
    const each = node.each;
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (list && isVolatileHeaderEntry(item, spec.volatileHeaders)) continue;
      if (out.length > 1) out += ',';
      out += writeOrdered(item, each, spec) ?? 'null';
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const headerMap = node.headerMap;
  let out = '{';
  for (const k of Object.keys(obj)) {
    if (headerMap && spec.volatileHeaders.has(k.toLowerCase())) continue;
    const child = node.children.get(k);
    if (child?.drop) continue;
    const text = writeOrdered(obj[k], child, spec);
    if (text === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoteKey(k, spec.quotedKeys)}:${text}`;
  }
  return `${out}}`;
}
