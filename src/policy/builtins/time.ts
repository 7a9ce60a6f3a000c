import { isNumber, isString, rawJsonInteger } from './raw.js';

export interface BuiltinClock {
  /** Nanoseconds since the Unix epoch. */
  nowNs(): bigint;
}

export const systemClock: BuiltinClock = {
  nowNs: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** time.parse_rfc3339_ns: exact nanoseconds, any offset. */
export function parseRfc3339Ns(s: unknown): ArrayBuffer | undefined {
  if (!isString(s)) return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(y), month) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  let seconds = BigInt(Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(sec)) / 1000);
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const offset = BigInt(Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
    seconds -= sign * offset;
  }
  const nanos = frac ? BigInt(frac.slice(1).padEnd(9, '0')) : 0n;
  return rawJsonInteger(seconds * 1_000_000_000n + nanos);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.parse_duration_ns: Go's time.ParseDuration ("1h30m", "-1.5s", "300ms"). */
export function parseDurationNs(s: unknown): ArrayBuffer | undefined {
  if (!isString(s) || s === '') return undefined;
  let rest = s;
  let sign = 1n;
  if (rest[0] === '-' || rest[0] === '+') {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return rawJsonInteger(0n);
  if (rest === '') return undefined;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return rawJsonInteger(sign * BigInt(Math.round(total)));
}

/** Split a time argument: `ns` or `[ns, "Zone"]`. The zone defaults to UTC; "Local" is the server's zone. */
function timeArg(x: unknown): { ms: number; zone: string } | undefined {
  let ns: unknown = x;
  let zone = 'UTC';
  if (Array.isArray(x)) {
    if (x.length !== 2 || !isString(x[1])) return undefined;
    ns = x[0];
    zone = x[1] === '' ? 'UTC' : x[1] === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : x[1];
  }
  if (!isNumber(ns)) return undefined;
  return { ms: Math.floor(ns / 1e6), zone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function parts(ms: number, zone: string): Record<string, number> | undefined {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
      });
    } catch {
      return undefined; // unknown time zone
    }
    formatters.set(zone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type === 'weekday') out.weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.value);
    else if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out;
}

export function clock(x: unknown): number[] | undefined {
  const t = timeArg(x);
  const p = t && parts(t.ms, t.zone);
  return p ? [p.hour!, p.minute!, p.second!] : undefined;
}

export function date(x: unknown): number[] | undefined {
  const t = timeArg(x);
  const p = t && parts(t.ms, t.zone);
  return p ? [p.year!, p.month!, p.day!] : undefined;
}

export function weekday(x: unknown): string | undefined {
  const t = timeArg(x);
  const p = t && parts(t.ms, t.zone);
  return p ? WEEKDAYS[p.weekday!] : undefined;
}

/** time.add_date: Go's Time.AddDate in UTC (month/day overflow normalises the same way as Date.UTC). */
export function addDate(ns: unknown, years: unknown, months: unknown, days: unknown): ArrayBuffer | undefined {
  if (!isNumber(ns) || !Number.isInteger(years) || !Number.isInteger(months) || !Number.isInteger(days)) return undefined;
  const big = BigInt(Math.trunc(ns));
  const msPart = big / 1_000_000n;
  const nsRemainder = big - msPart * 1_000_000n;
  const d = new Date(Number(msPart));
  const ms = Date.UTC(
    d.getUTCFullYear() + (years as number),
    d.getUTCMonth() + (months as number),
    d.getUTCDate() + (days as number),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
  return rawJsonInteger(BigInt(ms) * 1_000_000n + nsRemainder);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
