import { isCardNumber } from './luhn.js';
import { FINDING_TYPES } from '../pack/finding-types.js';

export { luhn } from './luhn.js';

/** What a finding is. The matched value itself is never reported (findings reach logs). */
export type FindingType = (typeof FINDING_TYPES)[number];

export interface Finding {
  type: FindingType;
  /** Where in the arguments (see walk-strings.ts); for a finding in an object key, that member's path. */
  path: string;
  /** Present (true) when the finding is in an object key rather than a value. */
  in_key?: true;
}

// Every pattern is linear: bounded quantifiers, or unbounded ones followed by a disjoint character; a pattern
// that starts inside a run of its own token characters is refused by a lookbehind, so a long run is scanned once.
// Each detector runs only when a cheap pre-check (a substring it needs) passes.
// A separator, defined positively: any one character that is neither a letter, a mark nor a digit (after the
// normalisation below) — a space, tab, any dash or minus (U+2212, U+02D7, U+2043), a dot, a slash. An SSN's two
// separators are the same character and not a plain space (so "call 555 12 3456" is no SSN); a card's may differ.
const SSN = /(?<!\d[^\p{L}\p{M}\p{N}]?)(?!000|666|9\d\d)\d{3}([^\p{L}\p{M}\p{N} ])(?!00)\d{2}\1(?!0000)\d{4}(?![^\p{L}\p{M}\p{N}]?\d)/u;
const CARD_CANDIDATE = /(?<!\d)\d(?:[^\p{L}\p{M}\p{N}]?\d){12,18}(?!\d)/gu;
const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;
const AWS_KEY = /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/;
const PEM = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/;
const BEARER = /(?<![A-Za-z0-9])bearer[ \t]+([A-Za-z0-9\-._~+/]{8,4096})/gi;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;
const GITHUB = /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/;
const SLACK = /(?<![A-Za-z0-9-])xox[abeoprs]-[A-Za-z0-9-]{10,250}/;
const SLACK_WEBHOOK = /hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Za-z0-9_]{6,40}\/[A-Za-z0-9_]{6,40}\/[A-Za-z0-9_]{16,}/;
const STRIPE = /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/;
const GOOGLE_KEY = /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/;
const OPENAI = /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})/;
const ANTHROPIC = /(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,10}\d{0,3}-[A-Za-z0-9_-]{20,}/;
const NPM = /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/;

function countDigits(s: string, atLeast: number): boolean {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++n >= atLeast) return true;
  }
  return false;
}

function hasCard(s: string): boolean {
  CARD_CANDIDATE.lastIndex = 0;
  for (let m = CARD_CANDIDATE.exec(s); m; m = CARD_CANDIDATE.exec(s)) {
    if (isCardNumber(m[0].replace(/\D/g, ''))) return true;
  }
  return false;
}

/** An email address: a local part (1–64 of `A-Z a-z 0-9 . _ % + -`), `@`, a domain with a letter TLD. */
function hasEmail(s: string): boolean {
  for (let at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
    if (at === 0 || !EMAIL_LOCAL.test(s[at - 1]!) || isUrlUserinfo(s, at)) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (EMAIL_DOMAIN.test(s)) return true;
  }
  return false;
}

/**
 * True when the `@` at `at` ends the userinfo of a URL (`https://user:pw@host`, `https://a.com@evil.com`): that
 * is URL syntax (input.mcp.urls reports it as has_userinfo), not an address. An address in a URL's path or query
 * is still an email. Looks back at most 256 characters.
 */
function isUrlUserinfo(s: string, at: number): boolean {
  for (let i = at - 1; i > 0 && i >= at - 256; i--) {
    const c = s.charCodeAt(i);
    if (c === 0x2f) return s.charCodeAt(i - 1) === 0x2f; // '//' right before the userinfo
    if (c === 0x3f || c === 0x23 || c === 0x40 || c <= 0x20) return false; // '?', '#', '@', whitespace
  }
  return false;
}

/** `Bearer <token>` where the token looks random: it has a digit, or is 16+ characters of mixed case. */
function hasBearer(s: string): boolean {
  BEARER.lastIndex = 0;
  for (let m = BEARER.exec(s); m; m = BEARER.exec(s)) {
    const t = m[1]!;
    if (/\d/.test(t) || (t.length >= 16 && /[a-z]/.test(t) && /[A-Z]/.test(t))) return true;
  }
  return false;
}

const NON_ASCII = /[^\x00-\x7f]/;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const SPACE = /[\p{Zs}\p{Zl}\p{Zp}]/gu;
const DASH = /\p{Pd}/gu;
const DIGIT = /\p{Nd}/gu;
const digitValues = new Map<string, string>();

/** The ASCII digit of any Unicode decimal digit (Arabic-Indic, Devanagari, mathematical …). */
function asciiDigit(d: string): string {
  let v = digitValues.get(d);
  if (v === undefined) {
    // Unicode decimal digits come in runs of ten starting at zero: count back to the run's start.
    const cp = d.codePointAt(0)!;
    let start = cp;
    while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    v = String((cp - start) % 10);
    if (digitValues.size < 4096) digitValues.set(d, v);
  }
  return v;
}

/**
 * The text detectors read: compatibility forms folded (NFKC: fullwidth digits and letters), format and other
 * invisible characters removed (zero-width spaces, joiners, BOM, soft hyphen, variation selectors, fillers),
 * every Unicode space a plain space, every dash `-`, every decimal digit an ASCII digit. So `4111 1111 1111 1111`
 * written with NBSP, thin spaces, zero-width spaces or fullwidth digits is still a card number. ASCII strings are
 * returned as they are.
 */
export function normaliseForDetection(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return s.normalize('NFKC').replace(INVISIBLE, '').replace(SPACE, ' ').replace(DASH, '-').replace(DIGIT, asciiDigit);
}

/** The finding types present in one string (read as written and normalised), each once, in a fixed order. */
export function detectInString(s: string): FindingType[] {
  const normal = normaliseForDetection(s);
  if (normal === s) return detectInText(s);
  const both = new Set([...detectInText(s), ...detectInText(normal)]);
  return FINDING_TYPES.filter((t) => both.has(t));
}

function detectInText(s: string): FindingType[] {
  const out: FindingType[] = [];
  if (s.length < 6) return out;
  const digits9 = countDigits(s, 9);
  if (digits9 && SSN.test(s)) out.push('ssn');
  if (digits9 && countDigits(s, 13) && hasCard(s)) out.push('credit_card');
  if (s.includes('@') && hasEmail(s)) out.push('email');
  if (s.includes('A') && AWS_KEY.test(s)) out.push('aws_access_key');
  if (s.includes('-----BEGIN') && PEM.test(s)) out.push('private_key');
  if (/bearer/i.test(s) && hasBearer(s)) out.push('bearer_token');
  if (s.includes('eyJ') && JWT.test(s)) out.push('jwt');
  if ((s.includes('gh') || s.includes('github_pat_')) && GITHUB.test(s)) out.push('github_token');
  if (s.includes('xox') && SLACK.test(s)) out.push('slack_token');
  if (s.includes('hooks.slack.com') && SLACK_WEBHOOK.test(s)) out.push('slack_webhook');
  if (s.includes('k_') && STRIPE.test(s)) out.push('stripe_key');
  if (s.includes('AIza') && GOOGLE_KEY.test(s)) out.push('google_api_key');
  if (s.includes('sk-')) {
    if (OPENAI.test(s)) out.push('openai_api_key');
    if (s.includes('sk-ant-') && ANTHROPIC.test(s)) out.push('anthropic_api_key');
  }
  if (s.includes('npm_') && NPM.test(s)) out.push('npm_token');
  return out;
}

/** Card numbers sent as JSON numbers: a safe integer of 13+ digits (a 16-digit Visa number is exact). */
export function detectInNumber(n: number): FindingType[] {
  return Number.isSafeInteger(n) && n >= 1e12 && isCardNumber(String(n)) ? ['credit_card'] : [];
}

/** Collects findings from the argument walk's visits (computeArgumentFacts). */
export function findingsCollector(findings: Finding[]): (path: string, value: string | number, kind: 'string' | 'key' | 'number') => void {
  return (path, value, kind) => {
    const types = typeof value === 'number' ? detectInNumber(value) : detectInString(value);
    for (const type of types) findings.push(kind === 'key' ? { type, path, in_key: true } : { type, path });
  };
}
