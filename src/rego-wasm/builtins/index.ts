import { randomBytes, randomUUID } from 'node:crypto';
import type { HostBuiltin, NativeBuiltin } from '../host-builtin.js';
import { cryptoBuiltins } from './crypto.js';
import { isString, RawNumber, toBigInt } from './exact-json.js';
import { jwtDecode } from './jwt.js';
import { NATIVE_BUILTINS } from './natives.js';
import { netBuiltins } from './net.js';
import { regexBuiltins } from './regex.js';
import { sprintf } from './sprintf.js';

import { textBuiltins } from './text.js';
import { yamlBuiltins } from './yaml.js';
import { yamlMarshal } from './yaml-marshal.js';
import { addDate, type BuiltinClock, clock, date, diff, parseDurationNs, parseRfc3339Ns, systemClock, weekday } from './time.js';

export type { BuiltinClock } from './time.js';

/** Builtins whose result is not a function of their arguments: a policy using one is never cached. */
export const NONDETERMINISTIC_BUILTINS: ReadonlySet<string> = new Set([
  'time.now_ns',
  'uuid.rfc4122',
  'rand.intn',
  'http.send',
  'net.lookup_ip_addr',
  'opa.runtime',
  'io.jwt.decode_verify',
  'crypto.x509.parse_and_verify_certificates',
]);

/** Why a builtin is refused at load, where there is more to say than "not provided". */
export const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  'http.send': 'network calls cannot run synchronously inside an evaluation',
};

export interface HostBuiltins {
  functions: Record<string, HostBuiltin>;
  /** The natives of OPA's WASM library these functions answer instead (pass them to compilePolicyModule). */
  natives: readonly NativeBuiltin[];
  /** Call before each evaluation: time.now_ns, uuid.rfc4122 and rand.intn are fixed within one evaluation, as in OPA. */
  startEvaluation(): void;
}

const INT64_MAX = 2n ** 63n - 1n;

/** A uniform random integer in [0, n), n ≤ 2^63 (rejection sampling over 64 random bits). */
function randomBelow(n: bigint): bigint {
  const limit = (2n ** 64n / n) * n;
  for (;;) {
    const r = randomBytes(8).readBigUInt64BE();
    if (r < limit) return r % n;
  }
}

/**
 * A value as a map key, equal exactly when OPA's values compare equal: numbers by value (1, 1.0 and 1e0 are one
 * key), strings apart from numbers ("1" is not 1), objects whatever their key order.
 */
function termKey(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return `n${decimalKey(String(v))}`;
  if (v instanceof RawNumber) return `n${decimalKey(v.text)}`;
  if (typeof v === 'string') return `s${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `[${v.map(termKey).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${termKey(o[k])}`)
      .join(',')}}`;
  }
  return String(v);
}

/** A decimal number's text reduced to sign, significant digits and exponent: "1.50e1" and "15" are "15e0". */
function decimalKey(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  const frac = m[3] ?? '';
  const all = `${m[2]}${frac}`.replace(/^0+/, '');
  if (all === '') return '0';
  const digits = all.replace(/0+$/, '');
  const exp = BigInt(m[4] ?? '0') - BigInt(frac.length) + BigInt(all.length - digits.length);
  return `${m[1]}${digits}e${exp}`;
}

/** The builtins a compiled policy may import from the host ("SDK-dependent" in OPA's WASM docs). */
export function createHostBuiltins(clockSource: BuiltinClock = systemClock): HostBuiltins {
  let now: bigint | undefined;
  let uuids = new Map<string, string>();
  let rands = new Map<string, bigint>();
  const functions: Record<string, HostBuiltin> = {
    'time.now_ns': () => (now ??= clockSource.nowNs()),
    'time.parse_rfc3339_ns': parseRfc3339Ns,
    'time.parse_duration_ns': parseDurationNs,
    'time.clock': clock,
    'time.date': date,
    'time.weekday': weekday,
    'time.add_date': addDate,
    'time.diff': diff,
    'io.jwt.decode': (t) => jwtDecode(t),
    /** OPA takes any value as the key (uuid.rfc4122(1) answers); one UUID per equal key per evaluation. */
    'uuid.rfc4122': (k) => {
      const key = termKey(k);
      let u = uuids.get(key);
      if (!u) uuids.set(key, (u = randomUUID()));
      return u;
    },
    /** OPA: n is an int64; 0 gives 0, a negative n counts as -n; one value per (key, n) per evaluation. */
    'rand.intn': (k, n) => {
      let bound = toBigInt(n);
      if (!isString(k) || bound === undefined || bound < -INT64_MAX - 1n || bound > INT64_MAX) return undefined;
      if (bound === 0n) return 0;
      if (bound < 0n) bound = -bound;
      const key = `${k}-${bound}`;
      let r = rands.get(key);
      if (r === undefined) rands.set(key, (r = randomBelow(bound)));
      return r;
    },

    sprintf,
    ...regexBuiltins,
    ...cryptoBuiltins,
    ...textBuiltins,
    ...netBuiltins,
    ...yamlBuiltins,
    'yaml.marshal': yamlMarshal,
    // natives of OPA's WASM library that differ from opa eval, redirected here (wasm-natives.ts)
    ...Object.fromEntries(NATIVE_BUILTINS.map((n) => [n.builtin, n.impl])),
  };
  return {
    functions,
    natives: NATIVE_BUILTINS,
    startEvaluation() {
      now = undefined;
      if (uuids.size) uuids = new Map();
      if (rands.size) rands = new Map();
    },
  };
}
