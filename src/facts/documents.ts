import type { Json } from '../mcp/types.js';
import { parseStrictJson } from '../mcp/strict-json.js';

/**
 * Documents carried inside string arguments: a generic HTTP tool's `body` holding JSON (`"{\"amount\":100000}"`)
 * or an `application/x-www-form-urlencoded` form (`amount=100000&currency=usd`, as Stripe's API takes). Their
 * members would hide from argument rules, URL facts and PII findings, so they are parsed within bounds and
 * reported as `input.mcp.documents[]`; the walk then continues inside them (paths `body{json}.amount`,
 * `body{form}.amount`).
 *
 * - JSON: a string whose trimmed text starts with `{` and ends with `}`, or `[` … `]`. Parsed with the body's own
 *   strict rules (duplicate or case-folded keys, unrepresentable numbers, lone surrogates, depth 32). When that
 *   fails the document is reported with `error` and no value: the pack denies it (`document_not_understood`).
 * - Form: a string that is not a URL, without whitespace, made of `key=value` pairs joined by `&` (at least one
 *   value non-empty; a value holding a raw `=` is base64, not a form). Keys and
 *   values are percent-decoded (`+` is a space); a malformed escape is an `error`. A key sent twice gets an array
 *   of its values.
 * Strings over 262,144 characters are reported with error `too_large`.
 */
export interface DocumentFact {
  /** The argument path of the string (see walk-strings.ts). */
  path: string;
  format: 'json' | 'form';
  /** The parsed document; absent when it could not be parsed. */
  value?: Json;
  /** Why it could not be parsed: a body reason code (`body_invalid_json`, …), `invalid_percent_encoding`, `too_large`. */
  error?: string;
}

export const MAX_DOCUMENT_CHARS = 262_144;
const DOCUMENT_DEPTH = 32;
const FORM = /^[^\s=&]+=[^\s&=]*(?:&[^\s=&]+=[^\s&=]*)*&?$/;
const FORM_VALUE = /=[^\s&=]/;

/** The document a string carries, or undefined when it carries none. Never throws. */
export function parseDocument(s: string, path: string, isUrl = false): DocumentFact | undefined {
  const t = s.trim();
  const first = t.charCodeAt(0);
  const last = t.charCodeAt(t.length - 1);
  const json = (first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d);
  if (!json && !(!isUrl && s.includes('=') && FORM_VALUE.test(s) && FORM.test(s))) return undefined;
  const format = json ? 'json' : 'form';
  if (s.length > MAX_DOCUMENT_CHARS) return { path, format, error: 'too_large' };
  if (json) {
    const r = parseStrictJson(t, { maxDepth: DOCUMENT_DEPTH });
    return r.ok ? { path, format, value: r.value } : { path, format, error: r.code };
  }
  return parseForm(s, path);
}

function parseForm(s: string, path: string): DocumentFact {
  const value: Record<string, Json> = Object.create(null) as Record<string, Json>;
  for (const pair of s.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let key: string;
    let val: string;
    try {
      key = decodeURIComponent(pair.slice(0, eq).replaceAll('+', ' '));
      val = decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      return { path, format: 'form', error: 'invalid_percent_encoding' };
    }
    const before = value[key];
    if (before === undefined) value[key] = val;
    else value[key] = Array.isArray(before) ? [...before, val] : [before, val];
  }
  return { path, format: 'form', value: { ...value } };
}
