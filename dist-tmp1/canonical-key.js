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
function write(value, key, node, volatileHeaders) {
    let v = value;
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
        const toJSON = v.toJSON;
        if (typeof toJSON === 'function')
            v = toJSON.call(v, key);
    }
    switch (typeof v) {
        case 'string':
            return JSON.stringify(v);
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
    if (v instanceof Number || v instanceof String || v instanceof Boolean)
        return write(v.valueOf(), key, undefined, volatileHeaders);
    if (Array.isArray(v)) {
        const list = node?.headerList === true;
        let out = '[';
        let first = true;
        for (let i = 0; i < v.length; i++) {
            const item = v[i];
            if (list && isVolatileHeaderEntry(item, volatileHeaders))
                continue;
            out += (first ? '' : ',') + (write(item, String(i), undefined, volatileHeaders) ?? 'null');
            first = false;
        }
        return out + ']';
    }
    const obj = v;
    const keys = Object.keys(obj).sort();
    const headerMap = node?.headerMap === true;
    let out = '{';
    let first = true;
    for (const k of keys) {
        let child;
        if (node) {
            if (headerMap && volatileHeaders.has(k.toLowerCase()))
                continue;
            child = node.children.get(k);
            if (child?.drop)
                continue;
        }
        const text = write(obj[k], k, child, volatileHeaders);
        if (text === undefined)
            continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + text;
        first = false;
    }
    return out + '}';
}
function isVolatileHeaderEntry(item, volatileHeaders) {
    if (item === null || typeof item !== 'object')
        return false;
    const name = item.key;
    return typeof name === 'string' && volatileHeaders.has(name.toLowerCase());
}
