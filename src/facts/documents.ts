import { REASON } from '../shared/errors.js';
import type { Json } from '../mcp/types.js';
import { parseStrictJson } from '../mcp/strict-json.js';

/**
 * Documents carried inside string arguments: a generic HTTP tool's `body` holding JSON (`"{\"amount\":100000}"`)
 * or an `application/x-www-form-urlencoded` form (`amount=100000&currency=usd`, as Stripe's API takes). Their
 * members would hide from argument rules, URL facts and PII findings, so they are parsed and reported as
 * `input.mcp.documents[]`; the walk then continues inside them (paths `body{json}.amount`, `body{form}.amount`).
 *
 * Parse where declared, never guess (docs/input.md, "Documents inside arguments"):
 * - A **declared** argument (document-declarations.ts) is read with the grammar of the upstream it goes to: `json`
 *   (RFC 8259, the body's strict rules, the whole text), `form` (Go's url.ParseQuery, see parseForm) or `auto`
 *   (json when the text starts with `{` or `[` after JSON whitespace, a form when it holds a `=`, else no document:
 *   text without a key=value pair has no members). When it cannot be read that way
 *   it is reported with `error` and no value, and the pack denies it. Refused with their own codes: JSON followed
 *   by more data (`trailing_data`: Go's json.Decoder reads the first value, express.json(), Go's Unmarshal and
 *   Python's json.loads refuse the text, so there is no one reading) and a multipart body (`multipart_unsupported`:
 *   its boundary is in the upstream request's content-type, which the argument does not carry).
 * - Any **other** string is a document only when it parses whole as a JSON object or array. A string that only
 *   looks like one (a JSONC tsconfig, a JavaScript block, `[WIP]`, `progress=100%`) stays a string, read as text by
 *   the URL and PII detectors. One that a mainstream decoder reads whole as JSON but that cannot be represented
 *   faithfully (duplicate or case-folded keys, unrepresentable numbers, `NaN`/`Infinity` as Python's json.loads
 *   reads them, lone surrogates, nesting deeper than 32) has `error`.
 * Strings over 262,144 characters that would be parsed are reported with error `too_large`.
 */
export interface DocumentFact {
  /** The argument path of the string (see walk-strings.ts). */
  path: string;
  format: 'json' | 'form' | 'multipart';
  /** The parsed document; absent when it could not be parsed. */
  value?: Json;
  /**
   * Why it could not be read: a body reason code (`body_invalid_json`, …), `trailing_data`,
   * `invalid_percent_encoding`, `form_semicolon`, `multipart_unsupported`, `too_large`.
   */
  error?: string;
  /** Present (true) when the argument is a declared document. */
  declared?: true;
}

export type DocumentFormat = 'json' | 'form' | 'auto';

export const MAX_DOCUMENT_CHARS = 262_144;
const DOCUMENT_DEPTH = 32;
// Leading characters JSON parsers skip (RFC 8259 whitespace) before a value.
const JSON_START = /^[ \t\r\n]*[{[]/;
const JSON_BLANK = /^[ \t\r\n]*$/;
// A multipart body's first line: `--` and an RFC 2046 boundary (1-70 characters), then a line break.
const MULTIPART_START = /^(?:\r?\n)*--[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]\r?\n/;

/**
 * The document a string carries, or undefined when it carries none. `declared` is the declared format of this
 * argument, if it is one. Never throws.
 */
export function parseDocument(s: string, path: string, declared?: DocumentFormat): DocumentFact | undefined {
  if (declared === undefined) {
    if (!JSON_START.test(s)) return undefined;
    if (s.length > MAX_DOCUMENT_CHARS) return { path, format: 'json', error: 'too_large' };
    const r = parseStrictJson(s, { maxDepth: DOCUMENT_DEPTH });
    if (r.ok) return typeof r.value === 'object' && r.value !== null ? { path, format: 'json', value: r.value } : undefined;
    if (r.code !== REASON.bodyInvalidJson) return { path, format: 'json', error: r.code };
    // Not JSON to Go or JavaScript; Python's json.loads still reads NaN and Infinity as numbers.
    if (readsWithNonFinite(s)) return { path, format: 'json', error: REASON.bodyNumberUnrepresentable };
    // Not JSON at all: a string that only looks like a document stays a string.
    return undefined;
  }
  if (MULTIPART_START.test(s)) return { path, format: 'multipart', error: 'multipart_unsupported', declared: true };
  // auto: JSON when it starts as JSON; a form when it holds a key=value pair; other text carries no members.
  if (declared === 'auto' && !JSON_START.test(s) && !s.includes('=')) return undefined;
  const format = declared === 'auto' ? (JSON_START.test(s) ? 'json' : 'form') : declared;
  if (s.length > MAX_DOCUMENT_CHARS) return { path, format, error: 'too_large', declared: true };
  if (format === 'form') return { ...parseForm(s, path), declared: true };
  const r = parseStrictJson(s, { maxDepth: DOCUMENT_DEPTH });
  if (r.ok) return { path, format, value: r.value, declared: true };
  const error = r.code === REASON.bodyInvalidJson && trailingData(s) ? 'trailing_data' : r.code;
  return { path, format, error, declared: true };
}

/**
 * The end of the JSON object or array the text starts with (after JSON whitespace), found by matching brackets
 * outside strings, or -1 when it does not close. Whether that prefix is JSON is for the parser to say.
 */
function firstValueEnd(s: string): number {
  let depth = 0;
  let i = s.search(/[^ \t\r\n]/);
  if (i < 0) return -1;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A JSON object or array followed by more than whitespace: what Go's json.Decoder reads as its first value. */
function trailingData(s: string): boolean {
  const end = firstValueEnd(s);
  if (end < 0 || JSON_BLANK.test(s.slice(end))) return false;
  return parseStrictJson(s.slice(0, end), { maxDepth: DOCUMENT_DEPTH }).ok;
}

/** The text is JSON once `NaN`, `Infinity` and `-Infinity` outside strings count as numbers (Python's json.loads). */
function readsWithNonFinite(s: string): boolean {
  if (!/NaN|Infinity/.test(s)) return false;
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (s.startsWith('NaN', i) || s.startsWith('Infinity', i)) {
      const len = s[i] === 'N' ? 3 : 8;
      out += `${s.slice(last, i)}0`;
      last = i + len;
      i = last - 1;
    }
  }
  try {
    JSON.parse(out + s.slice(last));
    return true;
  } catch {
    return false;
  }
}

/**
 * A form as Go's url.ParseQuery reads it (Go 1.17+), which Rack, PHP and Python's parse_qs read the same way for
 * what is accepted here: pairs split on `&` only (an empty pair, as in `&&`, is skipped); the key is up to the
 * first `=`, the value everything after it (raw `=` included: base64 padding); a pair without `=` is a key with
 * the value ""; `+` is a space and `%XX` a byte; raw spaces, newlines and other characters are kept as they are
 * (a trailing newline is part of the last value). Not understood: a pair holding `;` (Go 1.17+ refuses it, older
 * servers and other stacks split on it: `form_semicolon`) and a malformed or non-UTF-8 escape
 * (`invalid_percent_encoding`). A key sent twice gets an array of its values.
 */
function parseForm(s: string, path: string): DocumentFact {
  const value: Record<string, Json> = Object.create(null) as Record<string, Json>;
  for (const pair of s.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (pair.includes(';')) return { path, format: 'form', error: 'form_semicolon' };
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    let key: string;
    let val: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
      val = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      return { path, format: 'form', error: 'invalid_percent_encoding' };
    }
    const before = value[key];
    if (before === undefined) value[key] = val;
    else value[key] = Array.isArray(before) ? [...before, val] : [before, val];
  }
  return { path, format: 'form', value: { ...value } };
}
