import { REASON, type ReasonCode } from '../errors.js';
import type { Json } from './types.js';

export interface StrictJsonLimits {
  /** Maximum nesting of objects and arrays. */
  maxDepth: number;
}

export type StrictJsonResult = { ok: true; value: Json } | { ok: false; code: ReasonCode; message: string };

/**
 * Parse JSON text, refusing what JSON.parse silently accepts but an upstream server might read differently:
 * duplicate object keys (JSON.parse keeps the last; other parsers keep the first or reject) and nesting deeper
 * than the limit. A single linear scan runs first (bounded work, no recursion), then JSON.parse.
 */
export function parseStrictJson(text: string, limits: StrictJsonLimits): StrictJsonResult {
  const problem = scan(text, limits.maxDepth);
  if (problem) return problem;
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (err) {
    return { ok: false, code: REASON.bodyInvalidJson, message: `invalid JSON: ${(err as Error).message}` };
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** Frame of the scan stack: the keys seen so far for an object, or null for an array. */
type Frame = { keys: Set<string> | null; expectKey: boolean };

function scan(text: string, maxDepth: number): Extract<StrictJsonResult, { ok: false }> | undefined {
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
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? decodeKey(raw) : raw;
        if (key !== undefined) {
          if (top.keys.has(key)) {
            return { ok: false, code: REASON.bodyDuplicateKey, message: `duplicate object key ${JSON.stringify(key)}` };
          }
          top.keys.add(key);
        }
        top.expectKey = false;
      }
      i = j;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) {
        return { ok: false, code: REASON.bodyTooDeep, message: `JSON nesting deeper than ${maxDepth}` };
      }
      stack.push({ keys: c === OPEN_OBJECT ? new Set() : null, expectKey: c === OPEN_OBJECT });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}

/** Decode an escaped key; undefined when the escape is invalid (JSON.parse then reports the syntax error). */
function decodeKey(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}
