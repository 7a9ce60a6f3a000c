import { REASON } from '../shared/errors.js';
import type { Json } from '../mcp/types.js';
import { parseStrictJson } from '../mcp/strict-json.js';

/**
 * Documents carried inside string arguments: a generic HTTP tool's `body` holding JSON (`"{\"amount\":100000}"`)
 * or an `application/x-www-form-urlencoded` form (`amount=100000&currency=usd`, as Stripe's API takes). Their
 * members would hide from argument rules, URL facts and PII findings, so they are parsed and reported as
 * `input.mcp.documents[]`; the walk then continues inside them (paths `body{json}.amount`, `body{form}.amount`).
 *
 * Parse where declared, never guess:
 * - A **declared** argument (the pack's `documents.arguments`, by default every tool's `body`) is read with the
 *   grammar of the upstream it goes to: `json` (RFC 8259, the body's strict rules, the whole text: data after the
 *   value, which Go's json.Decoder would leave unread and express.json() refuses, is not understood), `form` (Go's
 *   url.ParseQuery, see parseForm) or `auto` (json when the text starts with `{` or `[` after JSON whitespace,
 *   a form when it holds a `=`, else no document: text without a key=value pair has no members). A multipart body
 *   (a first line of `--` and a boundary) is `multipart_unsupported`. When it cannot be read that way it is reported with `error` and no value: the pack denies it.
 * - Any **other** string is a document only when it parses whole as a JSON object or array. A string that only
 *   looks like one (a JSONC tsconfig, a JavaScript block, `[WIP]`, `progress=100%`) stays a string, read as text by
 *   the URL and PII detectors. One that is JSON but cannot be represented faithfully (duplicate or case-folded
 *   keys, unrepresentable numbers, lone surrogates, nesting deeper than 32) has `error`.
 * Strings over 262,144 characters that would be parsed are reported with error `too_large`.
 */
export interface DocumentFact {
  /** The argument path of the string (see walk-strings.ts). */
  path: string;
  format: 'json' | 'form';
  /** The parsed document; absent when it could not be parsed. */
  value?: Json;
  /** Why it could not be parsed: a body reason code (`body_invalid_json`, …), `invalid_percent_encoding`, `form_semicolon`, `multipart_unsupported`, `too_large`. */
  error?: string;
  /** Present (true) when the argument is a declared document. */
  declared?: true;
}

export type DocumentFormat = 'json' | 'form' | 'auto';

export const MAX_DOCUMENT_CHARS = 262_144;
const DOCUMENT_DEPTH = 32;
// Leading characters JSON parsers skip (RFC 8259 whitespace) before a value.
const JSON_START = /^[ \t\r\n]*[{[]/;
// The first line of a multipart body (RFC 2046 §5.1.1): `--`, a boundary of 1-70 bcharsnospace/space, a line break.
const MULTIPART_START = /^--[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]\r?\n/;

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
    // Not JSON at all: a string that only looks like a document stays a string.
    return r.code === REASON.bodyInvalidJson ? undefined : { path, format: 'json', error: r.code };
  }
  // auto: JSON when it starts as JSON; a form when it holds a key=value pair; other text carries no members.
  if (declared === 'auto' && !JSON_START.test(s) && !s.includes('=') && !MULTIPART_START.test(s)) return undefined;
  const format = declared === 'auto' ? (JSON_START.test(s) ? 'json' : 'form') : declared;
  if (s.length > MAX_DOCUMENT_CHARS) return { path, format, error: 'too_large', declared: true };
  if (format === 'json') {
    const r = parseStrictJson(s, { maxDepth: DOCUMENT_DEPTH });
    return r.ok ? { path, format, value: r.value, declared: true } : { path, format, error: r.code, declared: true };
  }
  // A multipart body (RFC 2046: a first line of `--` and a boundary) is not read here: its parts would hide.
  if (MULTIPART_START.test(s)) return { path, format, error: 'multipart_unsupported', declared: true };
  return { ...parseForm(s, path), declared: true };
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
