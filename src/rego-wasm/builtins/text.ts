import { isObject, isString, RawNumber, toBigInt } from './exact-json.js';
import { goCompare, goUtf8Decode } from './go-encoding.js';
import { BuiltinHalt } from './halt.js';

/** A string, or an array (or set) of strings only: OPA's StringSliceOperand. */
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

function affix(match: (s: string, p: string) => boolean) {
  return (search: unknown, base: unknown): boolean | undefined => {
    const a = strings(search);
    const b = strings(base);
    return a && b ? a.some((s) => b.some((p) => match(s, p))) : undefined;
  };
}

/** Go's url.QueryEscape: unreserved bytes as is, space as '+', everything else %XX (upper case). */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const HEX = /^[0-9a-fA-F]$/;

/** Go's url.QueryUnescape: '+' is a space, every '%' must start two hex digits; invalid UTF-8 shows as U+FFFD. */
export function queryUnescape(s: string): string | undefined {
  const bytes = new TextEncoder().encode(s);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25) {
      const h = String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0);
      if (i + 2 >= bytes.length || !HEX.test(h[0]!) || !HEX.test(h[1]!)) return undefined;
      out.push(parseInt(h, 16));
      i += 2;
    } else out.push(b === 0x2b ? 0x20 : b);
  }
  return goUtf8Decode(Uint8Array.from(out));
}

/** Go's url.ParseQuery: '&'-separated; a ';' in a pair, or any bad escape, is an error (after parsing the rest). */
function parseQuery(s: string): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  let failed = false;
  for (const pair of s.split('&')) {
    if (pair.includes(';')) {
      failed = true;
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const v = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (k === undefined || v === undefined) {
      failed = true;
      continue;
    }
    (out[k] ??= []).push(v);
  }
  return failed ? undefined : { ...out };
}

/** url.Values.Encode: keys in byte order, values in order, each QueryEscape'd. */
function encodeObject(obj: unknown): string | undefined {
  if (!isObject(obj)) return undefined;
  const query = new Map<string, string[]>();
  for (const [k, v] of Object.entries(obj)) {
    if (isString(v)) query.set(k, [v]);
    else if (Array.isArray(v)) {
      if (!v.every(isString)) return undefined;
      if (v.length) query.set(k, [...(query.get(k) ?? []), ...(v as string[])]);
    } else return undefined;
  }
  const parts: string[] = [];
  for (const k of [...query.keys()].sort(goCompare)) for (const v of query.get(k)!) parts.push(`${queryEscape(k)}=${queryEscape(v)}`);
  return parts.join('&');
}

/** OPA's extractNumAndUnit: the leading number (digits, '.', signs and a short exponent) and the unit after it. */
function numAndUnit(s: string): { num: string; unit: string } | 'exponent' {
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const next = s[i + 1];
      if (i === s.length - 1 || (!isDigit(next) && next !== '+' && next !== '-')) {
        first = i;
        break;
      }
      if (next === '+' || next === '-') i++;
      let end = i + 1;
      while (end < s.length && isDigit(s[end])) end++;
      if (end - (i + 1) > 6) return 'exponent';
    }
  }
  if (first === -1) return { num: s, unit: '' };
  return { num: s.slice(0, first), unit: s.slice(first) };
}

/** A decimal (big.Rat / big.Float syntax restricted to what numAndUnit lets through) as a fraction n/d. */
function decimal(num: string): { n: bigint; d: bigint } | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(num);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  let n = BigInt((m[2] || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  const exp = Number(m[4] ?? 0);
  if (exp >= 0) n *= 10n ** BigInt(exp);
  else d *= 10n ** BigInt(-exp);
  if (m[1] === '-') n = -n;
  return { n, d };
}

/** Round a positive fraction to a 64-bit mantissa, to nearest even, as big.Float does: mantissa × 2^exp. */
function toFloat64Bits(n: bigint, d: bigint): { mant: bigint; exp: bigint } {
  if (n === 0n) return { mant: 0n, exp: 0n };
  let exp = BigInt(n.toString(2).length - d.toString(2).length) - 64n;
  const scaled = (e: bigint): [bigint, bigint, bigint] => {
    const num = e < 0n ? n << -e : n;
    const den = e > 0n ? d << e : d;
    return [num / den, num % den, den];
  };
  let [q, r, den] = scaled(exp);
  while (q >= 1n << 64n) [q, r, den] = scaled(++exp);
  while (q < 1n << 63n) [q, r, den] = scaled(--exp);
  if (r * 2n > den || (r * 2n === den && (q & 1n) === 1n)) q += 1n;
  if (q === 1n << 64n) return { mant: 1n << 63n, exp: exp + 1n };
  return { mant: q, exp };
}

const BYTE_UNITS: Record<string, bigint> = {
  '': 1n,
  kb: 1000n,
  k: 1000n,
  kib: 1024n,
  ki: 1024n,
  mb: 1000n ** 2n,
  m: 1000n ** 2n,
  mib: 1024n ** 2n,
  mi: 1024n ** 2n,
  gb: 1000n ** 3n,
  g: 1000n ** 3n,
  gib: 1024n ** 3n,
  gi: 1024n ** 3n,
  tb: 1000n ** 4n,
  t: 1000n ** 4n,
  tib: 1024n ** 4n,
  ti: 1024n ** 4n,
  pb: 1000n ** 5n,
  p: 1000n ** 5n,
  pib: 1024n ** 5n,
  pi: 1024n ** 5n,
  eb: 1000n ** 6n,
  e: 1000n ** 6n,
  eib: 1024n ** 6n,
  ei: 1024n ** 6n,
};

/** units.parse_bytes: the amount as a 64-bit-mantissa big.Float, times the unit, truncated to an integer. */
function parseBytes(raw: unknown): bigint | undefined {
  if (!isString(raw)) return undefined;
  const s = raw.toLowerCase().replaceAll('"', '');
  if (s.includes(' ')) return undefined;
  const nu = numAndUnit(s);
  if (nu === 'exponent' || nu.num === '') return undefined;
  const mult = BYTE_UNITS[nu.unit];
  if (mult === undefined) return undefined;
  const dec = decimal(nu.num);
  if (!dec) return undefined;
  const neg = dec.n < 0n;
  const a = toFloat64Bits(neg ? -dec.n : dec.n, dec.d);
  // product of two 64-bit floats, rounded again to 64 bits
  const p = a.exp >= 0n ? toFloat64Bits((a.mant * mult) << a.exp, 1n) : toFloat64Bits(a.mant * mult, 1n << -a.exp);
  const int = p.exp >= 0n ? p.mant << p.exp : p.mant >> -p.exp;
  return neg ? -int : int;
}

const SI_UNITS: Record<string, { n: bigint; d: bigint }> = {
  '': { n: 1n, d: 1n },
  k: { n: 1000n, d: 1n },
  K: { n: 1000n, d: 1n },
  ki: { n: 1024n, d: 1n },
  Ki: { n: 1024n, d: 1n },
  M: { n: 1000n ** 2n, d: 1n },
  mi: { n: 1024n ** 2n, d: 1n },
  Mi: { n: 1024n ** 2n, d: 1n },
  g: { n: 1000n ** 3n, d: 1n },
  G: { n: 1000n ** 3n, d: 1n },
  gi: { n: 1024n ** 3n, d: 1n },
  Gi: { n: 1024n ** 3n, d: 1n },
  t: { n: 1000n ** 4n, d: 1n },
  T: { n: 1000n ** 4n, d: 1n },
  ti: { n: 1024n ** 4n, d: 1n },
  Ti: { n: 1024n ** 4n, d: 1n },
  p: { n: 1000n ** 5n, d: 1n },
  P: { n: 1000n ** 5n, d: 1n },
  pi: { n: 1024n ** 5n, d: 1n },
  Pi: { n: 1024n ** 5n, d: 1n },
  e: { n: 1000n ** 6n, d: 1n },
  E: { n: 1000n ** 6n, d: 1n },
  ei: { n: 1024n ** 6n, d: 1n },
  Ei: { n: 1024n ** 6n, d: 1n },
};
/** 0.001 as big.Rat.SetFloat64 takes it: the double nearest to 0.001, exactly. */
const MILLI = { n: 1152921504606847n, d: 2n ** 60n };

/** big.Rat.FloatString(10): ten decimals, the last rounded half away from zero. */
function floatString10(n: bigint, d: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const scale = 10n ** 10n;
  let q = (a * scale) / d;
  const r = a * scale - q * d;
  if (r * 2n >= d) q += 1n;
  const s = q.toString().padStart(11, '0');
  return `${neg ? '-' : ''}${s.slice(0, -10)}.${s.slice(-10)}`;
}

/** units.parse: exact rational arithmetic; an integer result is exact, any other has ten decimals. */
function parseUnits(raw: unknown): bigint | number | RawNumber | undefined {
  if (!isString(raw)) return undefined;
  const s = raw.replaceAll('"', '');
  if (s.includes(' ')) return undefined;
  const nu = numAndUnit(s);
  if (nu === 'exponent' || nu.num === '') return undefined;
  let unit = nu.unit;
  if (unit.length > 1) unit = unit[0] + unit.slice(1).toLowerCase();
  const mult = unit === 'm' ? MILLI : SI_UNITS[unit];
  const dec = decimal(nu.num);
  if (!mult || !dec) return undefined;
  const n = dec.n * mult.n;
  const d = dec.d * mult.d;
  if (n % d === 0n) return n / d;
  return new RawNumber(floatString10(n, d));
}

const MAX_RANGE = 1_000_000n;

/** numbers.range_step: exact integers; a range too long to build is an evaluation error, as OPA's cancellation. */
function rangeStep(a: unknown, b: unknown, step: unknown): bigint[] | undefined {
  const [x, y, st] = [toBigInt(a), toBigInt(b), toBigInt(step)];
  if (x === undefined || y === undefined || st === undefined || st <= 0n) return undefined;
  const span = x <= y ? y - x : x - y;
  if (span / st + 1n > MAX_RANGE) throw new BuiltinHalt(`numbers.range_step: more than ${MAX_RANGE} numbers`);
  const out: bigint[] = [];
  if (x <= y) for (let i = x; i <= y; i += st) out.push(i);
  else for (let i = x; i >= y; i -= st) out.push(i);
  return out;
}

export const textBuiltins = {
  'strings.any_prefix_match': affix((s, p) => s.startsWith(p)),
  'strings.any_suffix_match': affix((s, p) => s.endsWith(p)),
  'strings.count': count,
  'urlquery.encode': (s: unknown) => (isString(s) ? queryEscape(s) : undefined),
  'urlquery.decode': (s: unknown) => (isString(s) ? queryUnescape(s) : undefined),
  'urlquery.encode_object': encodeObject,
  'urlquery.decode_object': (s: unknown) => (isString(s) ? parseQuery(s) : undefined),
  'units.parse_bytes': parseBytes,
  'units.parse': parseUnits,
  'numbers.range_step': rangeStep,
};
