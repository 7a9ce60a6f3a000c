import { domainToASCII } from 'node:url';

/**
 * Host helpers for url-facts.ts: how an RFC 3986 reader's host compares with the WHATWG host, and host
 * spellings that other parsers may read differently.
 */

/**
 * A WHATWG hostname (already lower case for http-like schemes) with IPv6 brackets and one trailing dot removed
 * (WHATWG keeps the dot; DNS treats `a.com.` as `a.com`).
 */
export function stripHost(hostname: string): string {
  let host = hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/**
 * The host as an RFC 3986 reader (Python's urlsplit) sees it, normalised like WHATWG only where that loses
 * nothing: lower case, trailing dot, IDNA for non-ASCII names, IPv6 compression. Percent-escapes and numeric
 * IPv4 forms are left as written, so they show up as a mismatch.
 */
export function normaliseRfcHost(host: string, bracketed: boolean): string {
  if (bracketed) {
    try {
      return stripHost(new URL(`http://[${host}]/`).hostname);
    } catch {
      return host.toLowerCase();
    }
  }
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (/[^\x00-\x7f]/.test(h)) h = domainToASCII(h) || h;
  return h;
}

// Characters IDNA (UTS #46) removes or maps to ASCII that NFKC alone does not explain: soft hyphen, joiners,
// variation selectors, ideographic and fullwidth/halfwidth full stops.
// biome-ignore lint/suspicious/noMisleadingCharacterClass: joiners and variation selectors are matched on their own, not as parts of a grapheme
const IDNA_SPECIAL = /[\u00ad\u034f\u180b-\u180f\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff\u3002\uff0e\uff61]/;
const NON_ASCII_CHAR = /[^\x00-\x7f]/gu;

/**
 * True when the host spells ASCII through non-ASCII look-alikes that IDNA maps away (`ｅｖｉｌ.com`,
 * `api.weather.gov。evil.com`, `a\u00adb.com`): WHATWG and other IDNA implementations then read a host that is not
 * what a person or a non-IDNA parser reads.
 */
export function hasIdnaMappedCharacters(host: string): boolean {
  if (!/[^\x00-\x7f]/.test(host)) return false;
  if (IDNA_SPECIAL.test(host)) return true;
  for (const m of host.matchAll(NON_ASCII_CHAR)) {
    const mapped = m[0].normalize('NFKC');
    if (mapped !== m[0] && /^[\x00-\x7f]*$/.test(mapped)) return true;
  }
  return false;
}

// Format and invisible characters (zero-width, bidi controls, word joiners, fillers, tags).
export const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible code point (joiners, variation selectors) is matched on its own
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]|\udb40[\udc00-\udc7f]/;

/** A DNS-style host: labels of `a-z 0-9 - _` separated by single dots (punycode is ASCII). Empty is fine. */
export function isPlainDnsHost(host: string): boolean {
  return host === '' || /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(host);
}
