import { randomInt, randomUUID } from 'node:crypto';
import { cryptoBuiltins } from './crypto.js';
import { jwtDecode } from './jwt.js';
import { netBuiltins } from './net.js';
import { isNumber, isString, rawJsonInteger } from './raw.js';
import { textBuiltins } from './text.js';
import { addDate, type BuiltinClock, clock, date, parseDurationNs, parseRfc3339Ns, systemClock, weekday } from './time.js';

export type { BuiltinClock } from './time.js';

/** Builtins the opa-wasm JS SDK implements itself (they take precedence over ours). */
export const SDK_BUILTINS: ReadonlySet<string> = new Set(['json.is_valid', 'regex.split', 'sprintf', 'yaml.is_valid', 'yaml.marshal', 'yaml.unmarshal']);

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

export interface HostBuiltins {
  functions: Record<string, (...args: any[]) => unknown>;
  /** Call before each evaluation: time.now_ns, uuid.rfc4122 and rand.intn are fixed within one evaluation, as in OPA. */
  startEvaluation(): void;
}

/** The SDK-dependent builtins mcp-authz provides to WASM policies (see README "Host builtins"). */
export function createHostBuiltins(clockSource: BuiltinClock = systemClock): HostBuiltins {
  let now: bigint | undefined;
  let uuids = new Map<string, string>();
  let rands = new Map<string, number>();
  const functions: Record<string, (...args: any[]) => unknown> = {
    'time.now_ns': () => rawJsonInteger((now ??= clockSource.nowNs())),
    'time.parse_rfc3339_ns': parseRfc3339Ns,
    'time.parse_duration_ns': parseDurationNs,
    'time.clock': clock,
    'time.date': date,
    'time.weekday': weekday,
    'time.add_date': addDate,
    'io.jwt.decode': jwtDecode,
    'uuid.rfc4122': (k: unknown) => {
      if (!isString(k)) return undefined;
      let u = uuids.get(k);
      if (!u) uuids.set(k, (u = randomUUID()));
      return u;
    },
    'rand.intn': (k: unknown, n: unknown) => {
      if (!isString(k) || !isNumber(n) || !Number.isInteger(n) || n < 0) return undefined;
      if (n === 0) return 0;
      const key = `${k}\u0000${n}`;
      let r = rands.get(key);
      if (r === undefined) rands.set(key, (r = randomInt(n)));
      return r;
    },
    ...cryptoBuiltins,
    ...textBuiltins,
    ...netBuiltins,
  };
  return {
    functions,
    startEvaluation() {
      now = undefined;
      if (uuids.size) uuids = new Map();
      if (rands.size) rands = new Map();
    },
  };
}
