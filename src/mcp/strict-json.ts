import { REASON, type ReasonCode } from '../shared/errors.js';
import type { Json } from './types.js';
import { foldKey } from './fold-key.js';
import { isFaithfulNumber } from './json-number.js';

export interface StrictJsonLimits {
  /** Maximum nesting of objects and arrays. */
  maxDepth: number;
}

export type StrictJsonResult = { ok: true; value: Json } | { ok: false; code: ReasonCode; message: string };

/**
 * Parse JSON text, refusing what JSON.parse silently accepts but an upstream server might read differently:
 * - duplicate object keys, also keys equal only under case or Unicode folding (`url`/`URL`, `ſ`/`s`): JSON.parse
 *   keeps both or the last, Go's encoding/json maps both onto one field (`body_duplicate_key`);
 * - numbers JavaScript cannot hold exactly (`1e400`, integers beyond 2^53; see json-number.ts)
 *   (`body_number_unrepresentable`);
 * - lone UTF-16 surrogates, raw or escaped (`"\ud800"`): not Unicode text, and every decoder repairs them
 *   differently (`body_invalid_unicode`);
 * - nesting deeper than the limit (`body_too_deep`).
 * A single linear scan runs first (bounded work, no recursion), then JSON.parse.
 */
export function parseStrictJson(text: string, limits: StrictJsonLimits): StrictJsonResult {
  if (LONE_SURROGATE.test(text)) return { ok: false, code: REASON.bodyInvalidUnicode, message: 'the body contains a lone UTF-16 surrogate' };
  const problem = scan(text, limits.maxDepth);
  if (problem) return problem;
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (err) {
    return { ok: false, code: REASON.bodyInvalidJson, message: `invalid JSON: ${(err as Error).message}` };
  }
}

/** In `u` mode a surrogate range matches only surrogates that are not half of a pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
/** A `\u` escape of a surrogate (the decoded string is then checked for pairing). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const MINUS = 0x2d;

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;
}

/** Frame of the scan stack: folded key → key as sent for an object, or null for an array. */
type Frame = { keys: Map<string, string> | null; expectKey: boolean };

type Failure = Extract<StrictJsonResult, { ok: false }>;

function scan(text: string, maxDepth: number): Failure | undefined {
  const stack: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === QUOTE) break;
        j++;
      }
      const top = stack[stack.length - 1];
      const isKey = top?.keys !== null && top?.keys !== undefined && top.expectKey;
      const surrogateEscape = escaped && SURROGATE_ESCAPE.test(text.slice(i + 1, j));
      if (surrogateEscape || isKey) {
        const raw = text.slice(i + 1, j);
        const decoded = escaped ? decodeString(raw) : raw;
        if (surrogateEscape && decoded !== undefined && LONE_SURROGATE.test(decoded)) {
          return { ok: false, code: REASON.bodyInvalidUnicode, message: 'a string contains an escaped lone UTF-16 surrogate' };
        }
        if (isKey && decoded !== undefined) {
          const folded = foldKey(decoded);
          const before = top!.keys!.get(folded);
          if (before !== undefined) {
            const how = before === decoded ? '' : ` (the same key as ${JSON.stringify(before)} to a case-insensitive decoder)`;
            return { ok: false, code: REASON.bodyDuplicateKey, message: `duplicate object key ${JSON.stringify(decoded)}${how}` };
          }
          top!.keys!.set(folded, decoded);
        }
      }
      if (isKey) top!.expectKey = false;
      i = j;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) {
        return { ok: false, code: REASON.bodyTooDeep, message: `JSON nesting deeper than ${maxDepth}` };
      }
      stack.push({ keys: c === OPEN_OBJECT ? new Map() : null, expectKey: c === OPEN_OBJECT });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      const literal = text.slice(i, j);
      if (!isFaithfulNumber(literal)) {
        return {
          ok: false,
          code: REASON.bodyNumberUnrepresentable,
          message: `the number ${literal.length > 40 ? `${literal.slice(0, 40)}…` : literal} cannot be held exactly (out of range or more precise than a 64-bit float)`,
        };
      }
      i = j - 1;
    }
  }
  return undefined;
}

/** Decode an escaped string; undefined when the escape is invalid (JSON.parse then reports the syntax error). */
function decodeString(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}
