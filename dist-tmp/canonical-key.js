import { hash } from 'node:crypto';
import { DEFAULT_VOLATILE_HEADERS, DEFAULT_VOLATILE_PATHS } from './volatile-fields.js';
/** Where Envoy's CheckRequest puts request headers in the input (protojson names, as OPA's Envoy plugin). */
const HEADER_MAP_PATH = ['attributes', 'request', 'http', 'headers'];
const HEADER_LIST_PATH = ['attributes', 'request', 'http', 'headerMap', 'headers'];
export function compileKeySpec(opts = {}) {
    const root = newNode();
    const paths = opts.volatilePaths ?? DEFAULT_VOLATILE_PATHS;
    for (const path of paths) {
        if (path.length === 0)
            throw new RangeError('a volatile path must name at least one key (the whole input cannot be volatile)');
        nodeAt(root, path).drop = true;
    }
    const volatileHeaders = new Set((opts.volatileHeaders ?? DEFAULT_VOLATILE_HEADERS).map((h) => h.toLowerCase()));
    if (volatileHeaders.size > 0) {
        nodeAt(root, HEADER_MAP_PATH).headerMap = true;
        nodeAt(root, HEADER_LIST_PATH).headerList = true;
    }
    return { root, volatileHeaders };
}
function newNode() {
    return { drop: false, children: new Map(), headerMap: false, headerList: false };
}
function nodeAt(root, path) {
    let node = root;
    for (const key of path) {
        let next = node.children.get(key);
        if (!next)
            node.children.set(key, (next = newNode()));
        node = next;
    }
    return node;
}
const DEFAULT_SPEC = compileKeySpec();
/** The canonical JSON text of `value` with the fields `spec` names left out. */
export function canonicalJson(value, spec = DEFAULT_SPEC) {
    return write(value, '', spec.root, spec.volatileHeaders) ?? '';
}
/**
 * A 256-bit digest (base64url) of the canonical input. SHA-256 because a key collision would hand one request
 * another request's decision: the hash must resist deliberate collisions, not just accidental ones.
 */
export function inputDigest(value, spec = DEFAULT_SPEC, prefix = '') {
    return hash('sha256', prefix + canonicalJson(value, spec), 'base64url');
}
/** Strings JSON.stringify would emit between plain quotes: no quote, backslash, control character or surrogate. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const quote = (s) => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);
/** Quoted object keys, memoised: inputs repeat the same few hundred names. Bounded, keys are client-chosen too. */
const quotedKeys = new Map();
function quoteKey(k) {
    let q = quotedKeys.get(k);
    if (q === undefined) {
        q = quote(k);
        if (quotedKeys.size < 4096 && k.length <= 64)
            quotedKeys.set(k, q);
    }
    return q;
}
function write(value, key, node, volatileHeaders) {
    let v = value;
    if (typeof v === 'object' && v !== null) {
        if (typeof v.toJSON === 'function')
            v = v.toJSON(String(key));
    }
    else if (typeof v === 'bigint' && typeof v.toJSON === 'function') {
        v = v.toJSON(String(key));
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
    if (v === null)
        return 'null';
    if (Array.isArray(v)) {
        const list = node !== undefined && node.headerList;
        let out = '[';
        for (let i = 0; i < v.length; i++) {
            const item = v[i];
            if (list && isVolatileHeaderEntry(item, volatileHeaders))
                continue;
            if (out.length > 1)
                out += ',';
            out += write(item, i, undefined, volatileHeaders) ?? 'null';
        }
        return out + ']';
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean)
        return write(v.valueOf(), key, undefined, volatileHeaders);
    const obj = v;
    const keys = Object.keys(obj).sort();
    const headerMap = node !== undefined && node.headerMap;
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        let child;
        if (node !== undefined) {
            if (headerMap && volatileHeaders.has(k.toLowerCase()))
                continue;
            child = node.children.get(k);
            if (child !== undefined && child.drop)
                continue;
        }
        const text = write(obj[k], k, child, volatileHeaders);
        if (text === undefined)
            continue;
        if (out.length > 1)
            out += ',';
        out += quoteKey(k) + ':' + text;
    }
    return out + '}';
}
function isVolatileHeaderEntry(item, volatileHeaders) {
    if (item === null || typeof item !== 'object')
        return false;
    const name = item.key;
    return typeof name === 'string' && volatileHeaders.has(name.toLowerCase());
}
