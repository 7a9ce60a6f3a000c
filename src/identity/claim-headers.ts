import type { ClaimHeaderMapping, IdentityConfig } from './config.js';
import { claimAt } from './claims.js';
import type { Identity } from './resolve.js';

/**
 * Characters removed from header values: C0 controls (NUL, TAB, CR, LF, …), DEL, C1 controls, and the Unicode
 * line and paragraph separators. Removed, not replaced: `"billing\r\nx-admin: true"` becomes
 * `"billingx-admin: true"`, one harmless value.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** Unpaired UTF-16 surrogates cannot be encoded as UTF-8; they become U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A safe header value: unsafe characters removed, lone surrogates replaced, surrounding spaces trimmed, then cut
 * to `maxLength` characters (Unicode code points, never half a character). May return `""`.
 */
export function sanitizeHeaderValue(value: string, maxLength: number): string {
  const clean = value.replace(UNSAFE, '').replace(LONE_SURROGATE, '\ufffd').trim();
  if (clean.length <= maxLength) return clean;
  return Array.from(clean).slice(0, maxLength).join('').trimEnd();
}

/** A scalar claim as text; anything else (objects, null, nested arrays) has no header form. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** Whole elements only: those that do not fit in `maxLength` are left out, never cut (a cut element is another value). */
function joinElements(raw: unknown[], maxLength: number): string {
  const parts: string[] = [];
  let length = -1;
  for (const element of raw) {
    const text = scalarText(element);
    if (text === undefined || text.includes(',')) continue;
    const clean = sanitizeHeaderValue(text, Number.POSITIVE_INFINITY);
    const size = Array.from(clean).length;
    if (size === 0 || length + 1 + size > maxLength) continue;
    parts.push(clean);
    length += 1 + size;
  }
  return parts.join(',');
}

/**
 * The headers to add upstream for a verified identity: one `{key, value}` per mapping whose claim has a header
 * form. Nothing at all for an unverified identity (a forged or expired token must not speak for a user).
 *
 * - strings, numbers and booleans as text;
 * - arrays: their scalar elements joined with ","; an element that itself contains "," is left out, because
 *   the receiver could not tell it from two elements (a claim "eng,admin" must not become two groups), and so
 *   is an element that would not fit whole in `maxLength`;
 * - objects and `null` are skipped (map a nested value with a dotted claim path instead);
 * - values are sanitised (sanitizeHeaderValue); a scalar is cut to `maxLength`; an empty result adds no header.
 *
 * Keys are lower-case. The caller removes every name of headersToStrip() from the incoming request first.
 */
export function claimHeaders(identity: Identity, mapping: readonly ClaimHeaderMapping[], maxLength: number): { key: string; value: string }[] {
  if (identity.verified !== true || !identity.user) return [];
  const out: { key: string; value: string }[] = [];
  for (const { claim, header } of mapping) {
    const raw = claimAt(identity.user.claims, claim);
    const text = scalarText(raw);
    const value = Array.isArray(raw) ? joinElements(raw, maxLength) : text === undefined ? '' : sanitizeHeaderValue(text, maxLength);
    if (value !== '') out.push({ key: header.toLowerCase(), value });
  }
  return out;
}

/**
 * Every header this module may inject (the claim headers), lower-case, sorted. The lead removes all of them from
 * the incoming request before adding ours, whether or not a value is added this time, so a client can never
 * forge one (e.g. send `x-authz-claim-team: admins` without a token).
 */
export function headersToStrip(config: Pick<IdentityConfig, 'claim_headers'>): string[] {
  return [...new Set(config.claim_headers.map((m) => m.header.toLowerCase()))].sort();
}
