/**
 * What a string must look like to reach the wire unchanged. Every string a policy puts in a decision ends up in
 * an HTTP header, a URL query, a denial body or Envoy's dynamic metadata; anything that would be altered on the
 * way (re-encoded, split, truncated) or that would change the meaning of the message around it is refused.
 */

/**
 * An HTTP field value (RFC 9110 field-content) as Envoy forwards it: visible ASCII, space, tab and non-ASCII
 * text. Never C0 controls (CR, LF, NUL, ...), DEL, C1 controls (U+0080–U+009F), the Unicode line and paragraph
 * separators (U+2028, U+2029) or lone surrogates (they cannot be encoded as UTF-8).
 */
const FIELD_VALUE = /^(?:[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd]|[\ud800-\udbff][\udc00-\udfff])*$/;

/**
 * One component of a URL query (RFC 3986 `query` minus the separators): unreserved characters, sub-delims other
 * than `&`, `:`, `@`, `/`, `?` and percent-encoded octets. Envoy copies the pair into the request line as it is,
 * so `&` would add a parameter, `#` would start a fragment and a space, CR or LF would break the request line.
 * Keys additionally may not contain `=`. Anything else must be percent-encoded by the policy
 * (`urlquery.encode`).
 */
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~!$'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
const QUERY_KEY = /^(?:[A-Za-z0-9\-._~!$'()*+,;:@/?]|%[0-9A-Fa-f]{2})+$/;

/** A short label (`rule`): printable, no controls of any kind. */
const LABEL = /^[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd]*$/;

export const isFieldValue = (s: string): boolean => FIELD_VALUE.test(s);
export const isQueryKey = (s: string): boolean => QUERY_KEY.test(s);
export const isQueryValue = (s: string): boolean => QUERY_VALUE.test(s);
export const isLabel = (s: string): boolean => LABEL.test(s);
/** Encodable as UTF-8 (no lone surrogates): protobuf strings are UTF-8, so anything else would be altered. */
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Walk a JSON value bound for google.protobuf.Struct: every key and string must be well-formed, nesting at most
 * `maxDepth`, and the UTF-8 size of keys and strings (plus 8 bytes per scalar) is returned for the size bound.
 * Returns a problem description instead when the value cannot go out unchanged.
 */
export function structSize(value: unknown, maxDepth: number): { bytes: number } | { problem: string } {
  let bytes = 0;
  const walk = (v: unknown, depth: number, path: string): string | undefined => {
    if (depth > maxDepth) return `nested deeper than ${maxDepth} levels at ${path}`;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return `${path} is not valid Unicode (lone surrogate)`;
      bytes += utf8Bytes(v);
      return undefined;
    }
    if (v === null || typeof v === 'boolean') {
      bytes += 8;
      return undefined;
    }
    if (typeof v === 'number') {
      bytes += 8;
      return Number.isFinite(v) ? undefined : `${path} is not a finite number`;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], depth + 1, `${path}[${i}]`);
        if (p) return p;
      }
      return undefined;
    }
    if (typeof v === 'object') {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (!isWellFormed(k)) return `a key under ${path} is not valid Unicode (lone surrogate)`;
        bytes += utf8Bytes(k);
        const p = walk(item, depth + 1, `${path}.${k}`);
        if (p) return p;
      }
      return undefined;
    }
    return `${path} is not JSON`;
  };
  const problem = walk(value, 1, 'dynamic_metadata');
  return problem ? { problem } : { bytes };
}
