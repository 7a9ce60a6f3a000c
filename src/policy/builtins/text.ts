import { isNumber, isString, rawJsonInteger } from './raw.js';

const strings = (v: unknown): string[] | undefined => {
  if (isString(v)) return [v];
  if (Array.isArray(v) && v.every(isString)) return v as string[];
  return undefined;
};

/** Go's strings.Count: non-overlapping occurrences; an empty substring counts code points + 1. */
function count(s: unknown, sub: unknown): number | undefined {
  if (!isString(s) || !isString(sub)) return undefined;
  if (sub === '') return [...s].length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** RE2-compatible enough for policies: JavaScript regexes with the unicode flag; invalid patterns are undefined. */
const regexCache = new Map<string, RegExp | null>();
function compile(pattern: string): RegExp | undefined {
  if (!regexCache.has(pattern)) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(pattern, 'gu');
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  const re = regexCache.get(pattern);
  if (!re) return undefined;
  re.lastIndex = 0;
  return re;
}

/** Go url.QueryEscape: like encodeURIComponent, plus !'()* escaped and spaces as '+'. */
const queryEscape = (s: string): string =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

function queryUnescape(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const SI: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const BYTES: Record<string, bigint> = {
  '': 1n, k: 1000n, m: 1000n ** 2n, g: 1000n ** 3n, t: 1000n ** 4n, p: 1000n ** 5n, e: 1000n ** 6n,
  ki: 1024n, mi: 1024n ** 2n, gi: 1024n ** 3n, ti: 1024n ** 4n, pi: 1024n ** 5n, ei: 1024n ** 6n,
};

/** units.parse_bytes: "10KB" = 10000, "10KiB" = 10240, case-insensitive, optional "b", no spaces inside. */
function parseBytes(s: unknown): ArrayBuffer | undefined {
  if (!isString(s)) return undefined;
  const m = /^(\d+(?:\.\d+)?)([kmgtpe]i?)?b?$/i.exec(s.trim().replace(/^"|"$/g, ''));
  if (!m) return undefined;
  const mult = BYTES[(m[2] ?? '').toLowerCase()];
  if (mult === undefined) return undefined;
  const [int, frac = ''] = m[1]!.split('.');
  const scaled = (BigInt(int!) * 10n ** BigInt(frac.length) + BigInt(frac || '0')) * mult;
  return rawJsonInteger(scaled / 10n ** BigInt(frac.length));
}

/** units.parse: SI and binary suffixes (m = milli, k/K = kilo, M = mega, Ki = kibi, …). */
function parseUnits(s: unknown): number | undefined {
  if (!isString(s)) return undefined;
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)([mkKMGTPE]i?)?$/.exec(s.trim().replace(/^"|"$/g, ''));
  if (!m) return undefined;
  const mult = SI[m[2] ?? ''];
  return mult === undefined ? undefined : Number(m[1]) * mult;
}

export const textBuiltins = {
  'strings.any_prefix_match': (search: unknown, base: unknown) => {
    const a = strings(search);
    const b = strings(base);
    return a && b ? a.some((s) => b.some((p) => s.startsWith(p))) : undefined;
  },
  'strings.any_suffix_match': (search: unknown, base: unknown) => {
    const a = strings(search);
    const b = strings(base);
    return a && b ? a.some((s) => b.some((p) => s.endsWith(p))) : undefined;
  },
  'strings.count': count,
  'regex.replace': (s: unknown, pattern: unknown, value: unknown) => {
    if (!isString(s) || !isString(pattern) || !isString(value)) return undefined;
    const re = compile(pattern);
    return re ? s.replace(re, value) : undefined;
  },
  'regex.find_n': (pattern: unknown, s: unknown, n: unknown) => {
    if (!isString(pattern) || !isString(s) || !isNumber(n)) return undefined;
    const re = compile(pattern);
    if (!re) return undefined;
    const all = [...s.matchAll(re)].map((m) => m[0]);
    return n < 0 ? all : all.slice(0, n);
  },
  'urlquery.encode': (s: unknown) => (isString(s) ? queryEscape(s) : undefined),
  'urlquery.decode': (s: unknown) => (isString(s) ? queryUnescape(s) : undefined),
  'urlquery.encode_object': (obj: unknown) => {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
    const pairs: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const v = (obj as Record<string, unknown>)[key];
      const values = strings(v);
      if (!values) return undefined;
      for (const value of values) pairs.push(`${queryEscape(key)}=${queryEscape(value)}`);
    }
    return pairs.join('&');
  },
  'urlquery.decode_object': (s: unknown) => {
    if (!isString(s)) return undefined;
    const out: Record<string, string[]> = {};
    for (const part of s.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
      const v = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
      if (k === undefined || v === undefined) return undefined;
      (out[k] ??= []).push(v);
    }
    return out;
  },
  'units.parse_bytes': parseBytes,
  'units.parse': parseUnits,
  'numbers.range_step': (a: unknown, b: unknown, step: unknown) => {
    if (!Number.isInteger(a) || !Number.isInteger(b) || !Number.isInteger(step) || (step as number) <= 0) return undefined;
    const out: number[] = [];
    const [x, y, st] = [a as number, b as number, step as number];
    if (Math.abs(y - x) / st > 1_000_000) return undefined;
    if (x <= y) for (let i = x; i <= y; i += st) out.push(i);
    else for (let i = x; i >= y; i -= st) out.push(i);
    return out;
  },
};
