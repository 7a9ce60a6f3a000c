export type FindingType = 'ssn' | 'credit_card' | 'email' | 'aws_access_key' | 'private_key' | 'bearer_token' | 'jwt' | 'github_token' | 'slack_token';

export interface Finding {
  type: FindingType;
  /** Where in the arguments; the matched value itself is never reported (findings reach logs). */
  path: string;
}

// Every pattern is linear: bounded quantifiers or character classes with no nested repetition. Each detector
// runs only when a cheap pre-check (a character or substring it needs) passes.
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/;
const CARD_CANDIDATE = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/;
const AWS_KEY = /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])/;
const PEM = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/;
const BEARER = /\bBearer[ \t]+[A-Za-z0-9\-._~+/]{8,}=*/i;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;
const GITHUB = /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/;
const SLACK = /\bxox[abprs]-[A-Za-z0-9-]{10,200}/;

/** Luhn checksum over a digit string. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function hasCard(s: string): boolean {
  CARD_CANDIDATE.lastIndex = 0;
  for (let m = CARD_CANDIDATE.exec(s); m; m = CARD_CANDIDATE.exec(s)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && luhn(digits)) return true;
  }
  return false;
}

function countDigits(s: string, atLeast: number): boolean {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++n >= atLeast) return true;
  }
  return false;
}

/** The finding types present in one string. */
export function detectInString(s: string): FindingType[] {
  const out: FindingType[] = [];
  const digits9 = countDigits(s, 9);
  if (digits9 && s.includes('-') && SSN.test(s)) out.push('ssn');
  if (digits9 && countDigits(s, 13) && hasCard(s)) out.push('credit_card');
  if (s.includes('@') && EMAIL.test(s)) out.push('email');
  if (s.includes('A') && AWS_KEY.test(s)) out.push('aws_access_key');
  if (s.includes('-----BEGIN') && PEM.test(s)) out.push('private_key');
  if (/bearer/i.test(s) && BEARER.test(s)) out.push('bearer_token');
  if (s.includes('eyJ') && JWT.test(s)) out.push('jwt');
  if ((s.includes('gh') || s.includes('github_pat_')) && GITHUB.test(s)) out.push('github_token');
  if (s.includes('xox') && SLACK.test(s)) out.push('slack_token');
  return out;
}
