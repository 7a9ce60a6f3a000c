import { timeZoneNames } from '../../shared/time-zone-names.js';
import { isString, toBigInt } from './exact-json.js';

/**
 * OPA's time builtins (topdown/time.go) in BigInt nanoseconds end to end: no value passes through a double, so
 * instants next to a second or day boundary land where Go puts them.
 */
export interface BuiltinClock {
  /** Nanoseconds since the Unix epoch. */
  nowNs(): bigint;
}

export const systemClock: BuiltinClock = {
  nowNs: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
};

const NS = 1_000_000_000n;
const MIN_NS = -(2n ** 63n);
const MAX_NS = 2n ** 63n - 1n;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** Days since 1970-01-01 of a proleptic Gregorian date (month may be any integer: it is normalised). */
export function daysFromCivil(year: bigint, month: bigint, day: bigint): bigint {
  const m0 = month - 1n;
  let y = year + floorDiv(m0, 12n);
  const m = m0 - floorDiv(m0, 12n) * 12n + 1n;
  if (m <= 2n) y -= 1n;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mp = (m + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n + (day - 1n);
}

/** [year, month, day] of a day count since 1970-01-01. */
export function civilFromDays(days: bigint): [bigint, bigint, bigint] {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return [yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d];
}

const isLeap = (y: bigint): boolean => (y % 4n === 0n && y % 100n !== 0n) || y % 400n === 0n;
export const daysIn = (month: bigint, year: bigint): bigint =>
  month === 2n ? (isLeap(year) ? 29n : 28n) : [4n, 6n, 9n, 11n].includes(month) ? 30n : 31n;

/** A time zone as Go's time.LoadLocation resolves it; 'UTC' needs no lookup. */
type Zone = { name: 'UTC' } | { name: string; format: Intl.DateTimeFormat };

const zones = new Map<string, Zone | null>();
function loadZone(name: string): Zone | undefined {
  if (name === '' || name === 'UTC') return { name: 'UTC' };
  const id = name === 'Local' ? process.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  let z = zones.get(id);
  if (z === undefined) {
    z = null;
    // Go loads zoneinfo names only, spelled exactly (time.clock([ns, "est"]) is an error in OPA); Intl also takes
    // offsets ("+05:00") and any letter case, and resolves links to their target: it only computes the offsets.
    if (timeZoneNames().has(id)) {
      try {
        const format = new Intl.DateTimeFormat('en-US', {
          timeZone: id,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
          era: 'short',
        });
        z = format.resolvedOptions().timeZone === 'UTC' ? { name: 'UTC' } : { name: id, format };
      } catch {
        z = null;
      }
    }
    if (zones.size > 512) zones.clear();
    zones.set(id, z);
  }
  return z ?? undefined;
}

/** The zone's offset from UTC in seconds at an instant (Unix seconds). */
function offsetAt(zone: Zone, unixSec: bigint): bigint {
  if (!('format' in zone)) return 0n;
  const p: Record<string, string> = {};
  for (const part of zone.format.formatToParts(new Date(Number(unixSec * 1000n)))) p[part.type] = part.value;
  let year = BigInt(p.year!);
  if (p.era === 'BC' || p.era === 'B') year = 1n - year;
  const local =
    daysFromCivil(year, BigInt(p.month!), BigInt(p.day!)) * 86400n + BigInt(p.hour!) * 3600n + BigInt(p.minute!) * 60n + BigInt(p.second!);
  return local - unixSec;
}

/** A Go time.Time: an instant in ns and its zone. */
interface GoTime {
  ns: bigint;
  zone: Zone;
  layout?: string;
}

/** OPA's tzTime: `ns`, or `[ns, tz]`, or `[ns, tz, layout]`; ns an integer within int64. */
function tzTime(a: unknown): GoTime | undefined {
  let n: unknown = a;
  let zone: Zone | undefined = { name: 'UTC' };
  let layout: string | undefined;
  if (Array.isArray(a)) {
    if (a.length === 0) return undefined;
    n = a[0];
    if (typeof n !== 'number' && typeof n !== 'bigint') return undefined;
    if (a.length > 1) {
      if (!isString(a[1])) return undefined;
      zone = loadZone(a[1]);
      if (!zone) return undefined;
    }
    if (a.length > 2) {
      if (!isString(a[2])) return undefined;
      layout = a[2];
    }
  } else if (typeof a !== 'number' && typeof a !== 'bigint') return undefined;
  const ns = toBigInt(n);
  if (ns === undefined || ns < MIN_NS || ns > MAX_NS) return undefined;
  return layout === undefined ? { ns, zone } : { ns, zone, layout };
}

/** Wall clock of a time in its zone. */
function fields(t: GoTime): { year: bigint; month: bigint; day: bigint; hour: bigint; minute: bigint; second: bigint; weekday: number } {
  const sec = floorDiv(t.ns, NS);
  const local = sec + offsetAt(t.zone, sec);
  const days = floorDiv(local, 86400n);
  const rem = local - days * 86400n;
  const [year, month, day] = civilFromDays(days);
  return { year, month, day, hour: rem / 3600n, minute: (rem % 3600n) / 60n, second: rem % 60n, weekday: Number((((days + 4n) % 7n) + 7n) % 7n) };
}

const small = (v: bigint): number => Number(v);
const inRange = (ns: bigint): bigint | undefined => (ns < MIN_NS || ns > MAX_NS ? undefined : ns);

/** Go's time.Date in a zone: the local wall clock (already normalised) to an instant, as Go resolves gaps and folds. */
function fromLocal(zone: Zone, localSec: bigint, nsec: bigint): bigint {
  let offset = offsetAt(zone, localSec);
  if (offset !== 0n) {
    const utc = localSec - offset;
    const at = offsetAt(zone, utc);
    if (at !== offset) offset = at;
  }
  return (localSec - offset) * NS + nsec;
}

export function clock(x: unknown): number[] | undefined {
  const t = tzTime(x);
  if (!t) return undefined;
  const f = fields(t);
  return [small(f.hour), small(f.minute), small(f.second)];
}

export function date(x: unknown): number[] | undefined {
  const t = tzTime(x);
  if (!t) return undefined;
  const f = fields(t);
  return [small(f.year), small(f.month), small(f.day)];
}

export function weekday(x: unknown): string | undefined {
  const t = tzTime(x);
  return t ? WEEKDAYS[fields(t).weekday] : undefined;
}

const int64 = (v: unknown): bigint | undefined => {
  const n = toBigInt(v);
  return n === undefined || n < MIN_NS || n > MAX_NS ? undefined : n;
};

/** Go's int64, uint64 and uint32 arithmetic (wrapping), for AddDate on hostile arguments. */
const i64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const ABSOLUTE_YEARS = 292277022400n;
const UNIX_TO_INTERNAL = (1969n * 365n + 1969n / 4n - 1969n / 100n + 1969n / 400n) * 86400n;
const ABSOLUTE_TO_UNIX = -((ABSOLUTE_YEARS * 3652425n) / 10000n + 306n) * 86400n - UNIX_TO_INTERNAL;

/** time.norm */
function goNorm(hi: bigint, lo: bigint, base: bigint): [bigint, bigint] {
  if (lo < 0n) {
    const n = i64(i64(i64(-lo) - 1n) / base + 1n);
    hi = i64(hi - n);
    lo = i64(lo + i64(n * base));
  }
  if (lo >= base) {
    const n = lo / base;
    hi = i64(hi + n);
    lo = i64(lo - n * base);
  }
  return [hi, lo];
}

/** time.dateToAbsDays */
function dateToAbsDays(year: bigint, month: bigint, day: bigint): bigint {
  let amonth = u32(month);
  const janFeb = amonth < 3n ? 1n : 0n;
  amonth = u32(amonth + 12n * janFeb);
  const y = u64(u64(year) - janFeb + ABSOLUTE_YEARS);
  const ayday = u32(979n * amonth - 2919n) >> 5n;
  const century = y / 100n;
  const cyear = u32(y % 100n);
  const cday = u32(1461n * cyear) / 4n;
  const centurydays = u64(146097n * century) / 4n;
  return u64(centurydays + u64(i64(i64(u32(cday + ayday)) + day) - 1n));
}

const MIN_TIME = { ext: i64(-9223372037n + UNIX_TO_INTERNAL), nsec: 145224192n };
const MAX_TIME = { ext: i64(9223372036n + UNIX_TO_INTERNAL), nsec: 854775807n };

/**
 * time.add_date: Go's Time.AddDate (time.Date with int64 wrap-around, as Go computes it) in the time's zone, then
 * OPA's check that the result is within the int64 nanosecond range.
 */
export function addDate(x: unknown, years: unknown, months: unknown, days: unknown): bigint | undefined {
  const t = tzTime(x);
  const [y, m, d] = [int64(years), int64(months), int64(days)];
  if (!t || y === undefined || m === undefined || d === undefined) return undefined;
  const f = fields(t);
  const nsec = t.ns - floorDiv(t.ns, NS) * NS;
  let year = i64(f.year + y);
  let mon = i64(i64(f.month + m) - 1n);
  [year, mon] = goNorm(year, mon, 12n);
  const month = mon + 1n;
  let [day, hour, min, sec] = [i64(f.day + d), f.hour, f.minute, f.second];
  let ns = nsec;
  [sec, ns] = goNorm(sec, ns, NS);
  [min, sec] = goNorm(min, sec, 60n);
  [hour, min] = goNorm(hour, min, 60n);
  [day, hour] = goNorm(day, hour, 24n);
  let unix = i64(i64(i64(dateToAbsDays(year, month, day)) * 86400n) + i64(hour * 3600n + min * 60n + sec) + ABSOLUTE_TO_UNIX);
  if ('format' in t.zone) unix = i64(fromLocal(t.zone, unix, 0n) / NS);
  const ext = i64(unix + UNIX_TO_INTERNAL);
  if (ext < MIN_TIME.ext || (ext === MIN_TIME.ext && ns < MIN_TIME.nsec)) return undefined;
  if (ext > MAX_TIME.ext || (ext === MAX_TIME.ext && ns > MAX_TIME.nsec)) return undefined;
  return inRange(i64(unix * NS + ns));
}

/** time.diff: OPA's [years, months, days, hours, minutes, seconds] between two times, in the first one's zone. */
export function diff(a: unknown, b: unknown): number[] | undefined {
  const t1 = tzTime(a);
  const t2 = tzTime(b);
  if (!t1 || !t2) return undefined;
  let [x, y] = [t1, { ns: t2.ns, zone: t1.zone }];
  if (x.ns > y.ns) [x, y] = [y, x];
  const f1 = fields(x);
  const f2 = fields(y);
  let year = f2.year - f1.year;
  let month = f2.month - f1.month;
  let day = f2.day - f1.day;
  let hour = f2.hour - f1.hour;
  let min = f2.minute - f1.minute;
  let sec = f2.second - f1.second;
  if (sec < 0n) [sec, min] = [sec + 60n, min - 1n];
  if (min < 0n) [min, hour] = [min + 60n, hour - 1n];
  if (hour < 0n) [hour, day] = [hour + 24n, day - 1n];
  if (day < 0n) {
    // Go: time.Date(y1, M1, 32, …).Day() is the day of the next month that 32 overflows into.
    const overflow = civilFromDays(daysFromCivil(f1.year, f1.month, 32n))[2];
    day += 32n - overflow;
    month -= 1n;
  }
  if (month < 0n) [month, year] = [month + 12n, year - 1n];
  return [year, month, day, hour, min, sec].map(small);
}

/** time.parse_rfc3339_ns: Go's time.Parse(time.RFC3339, s) (its general parser, which the fast path defers to). */
export function parseRfc3339Ns(s: unknown): bigint | undefined {
  if (!isString(s)) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => BigInt(v!)) as [bigint, bigint, bigint, bigint, bigint, bigint];
  if (month < 1n || month > 12n || hour > 23n || minute > 59n || second > 59n) return undefined;
  if (day < 1n || day > daysIn(month, year)) return undefined;
  const nsec = m[7] ? BigInt(m[7].slice(0, 9).padEnd(9, '0')) : 0n;
  let offset = 0n;
  const zone = m[8]!;
  if (zone !== 'Z') {
    const hh = BigInt(zone.slice(1, 3));
    const mm = BigInt(zone.slice(4, 6));
    if (hh > 24n || mm > 60n) return undefined;
    offset = (hh * 60n + mm) * 60n * (zone[0] === '-' ? -1n : 1n);
  }
  const sec = daysFromCivil(year, month, day) * 86400n + hour * 3600n + minute * 60n + second - offset;
  return inRange(sec * NS + nsec);
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, µs: 1000n, μs: 1000n, ms: 1_000_000n, s: NS, m: 60n * NS, h: 3600n * NS };
const LIMIT = 2n ** 63n;

/** Go's time.ParseDuration, overflow checks and float rounding of fractions included. */
function goParseDuration(orig: string): bigint | undefined {
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let d = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) return undefined;
    let i = 0;
    let v = 0n;
    for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
      if (v > LIMIT / 10n) return undefined;
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) return undefined;
    }
    const pre = i > 0;
    s = s.slice(i);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && s[j]! >= '0' && s[j]! <= '9'; j++) {
        if (overflow) continue;
        if (f > (LIMIT - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > LIMIT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return undefined;
    let u = 0;
    while (u < s.length && !/[0-9.]/.test(s[u]!)) u++;
    if (u === 0) return undefined;
    const unit = UNIT_NS[s.slice(0, u)];
    s = s.slice(u);
    if (unit === undefined) return undefined;
    if (v > LIMIT / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) return undefined;
    }
    d += v;
    if (d > LIMIT) return undefined;
  }
  if (neg) return -d;
  return d > LIMIT - 1n ? undefined : d;
}

const DAY_HOURS: Record<string, number> = { d: 24, w: 7 * 24, y: 365 * 24 };

/** Go's strconv.FormatFloat(x, 'f', -1, 64): the shortest digits that round-trip, never in exponent form. */
export function formatFloatF(x: number): string {
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const neg = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point = Number(exp) + 1;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? '-' : '') + out;
}

/** time.parse_duration_ns: Go's durations plus OPA's d (24h), w (7d) and y (365d) units. */
export function parseDurationNs(s: unknown): bigint | undefined {
  if (!isString(s) || s === '') return undefined;
  if (!/[dwy]/.test(s)) return goParseDuration(s);
  // OPA's duration grammar: [-+]? ([0-9.]+ ("ms" / "us" / "µs" / "ns" / [a-z]))+
  const m = /^([-+]?)((?:[0-9.]+(?:ms|us|µs|ns|[a-z]))+)$/.exec(s);
  if (!m) return undefined;
  let rewritten = m[1]!;
  for (const seg of m[2]!.matchAll(/([0-9.]+)(ms|us|µs|ns|[a-z])/g)) {
    const coeff = DAY_HOURS[seg[2]!];
    if (coeff === undefined) {
      rewritten += seg[1]! + seg[2]!;
      continue;
    }
    if (!/^(\d+\.?\d*|\.\d+)$/.test(seg[1]!)) return undefined;
    const hours = Number(seg[1]) * coeff;
    if (!Number.isFinite(hours)) return undefined;
    rewritten += `${formatFloatF(hours)}h`;
  }
  return goParseDuration(rewritten);
}
