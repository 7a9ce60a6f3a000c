import type { HostBuiltin, NativeBuiltin } from '../host-builtin.js';
import { isString, parseJsonKeepingNumbers, RawNumber, toBigInt } from './exact-json.js';
import { goBase64Decode, goUtf8Decode, toWellFormed } from './go-encoding.js';
import { goJsonMarshal } from './go-json.js';
import { parseAddr, parseCidr } from './net.js';
import { compileRe2, findAllIndex } from './regex.js';
import type { RegoValue } from './rego-value.js';

/**
 * Builtins OPA's WASM library implements natively but differently from `opa eval`; mcp-authz redirects them to
 * these implementations (src/rego-wasm/wasm-natives.ts).
 */

/** An IPNet as Go's net.ParseCIDR returns it: the masked address (4 bytes for IPv4) and its mask. */
interface IPNet {
  ip: number[];
  mask: number[];
}

const V4_IN_V6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const isV4InV6 = (ip: number[]) => ip.length === 16 && V4_IN_V6.every((b, i) => ip[i] === b);
const to4 = (ip: number[]): number[] | undefined => (ip.length === 4 ? ip : isV4InV6(ip) ? ip.slice(12) : undefined);

function cidrMask(ones: number, bits: number): number[] {
  return Array.from({ length: bits / 8 }, (_, i) => {
    const n = Math.min(Math.max(ones - i * 8, 0), 8);
    return (0xff << (8 - n)) & 0xff;
  });
}

/** net.IP.Mask */
function maskIP(ip: number[], mask: number[]): number[] | undefined {
  let m = mask;
  let a = ip;
  if (m.length === 16 && a.length === 4 && m.slice(0, 12).every((b) => b === 0xff)) m = m.slice(12);
  if (m.length === 4 && a.length === 16 && isV4InV6(a)) a = a.slice(12);
  if (m.length !== a.length) return undefined;
  return a.map((b, i) => b & m[i]!);
}

function goParseCIDR(s: unknown): IPNet | undefined {
  if (!isString(s)) return undefined;
  const c = parseCidr(s);
  if (!c) return undefined;
  const mask = cidrMask(c.bits, c.is4 ? 32 : 128);
  const ip16 = c.is4 ? [...V4_IN_V6, ...c.bytes] : c.bytes;
  const ip = maskIP(ip16, mask);
  return ip && { ip, mask };
}

/** net.ParseIP: 16 bytes, or undefined (no zones). */
function goParseIP(s: string): number[] | undefined {
  const a = parseAddr(s);
  if (!a || a.zone) return undefined;
  return a.is4 ? [...V4_IN_V6, ...a.bytes] : a.bytes;
}

/** IPNet.Contains */
function contains(n: IPNet, ipIn: number[]): boolean {
  let nn = to4(n.ip);
  let m = n.mask;
  if (!nn) {
    nn = n.ip;
    if (nn.length !== 16) return false;
  }
  if (m.length === 4) {
    if (nn.length !== 4) return false;
  } else if (m.length === 16 && nn.length === 4) m = m.slice(12);
  const ip = to4(ipIn) ?? ipIn;
  if (ip.length !== nn.length) return false;
  return ip.every((b, i) => (nn[i]! & m[i]!) === (b & m[i]!));
}

const ones = (mask: number[]): number => mask.reduce((n, b) => n + (b.toString(2).match(/1/g)?.length ?? 0), 0);

function lastIP(n: IPNet): number[] {
  const bits = n.mask.length * 8;
  const prefix = ones(n.mask);
  if (prefix === bits) return n.ip;
  let first = 0n;
  for (const b of n.ip) first = (first << 8n) | BigInt(b);
  const last = ((1n << BigInt(bits - prefix)) - 1n) | first;
  const out = new Array<number>(bits / 8).fill(0);
  let x = last;
  for (let i = out.length - 1; i >= 0 && x > 0n; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

function cidrContains(a: unknown, b: unknown): boolean | undefined {
  const netA = goParseCIDR(a);
  if (!netA || !isString(b)) return undefined;
  const ip = goParseIP(b);
  if (ip) return contains(netA, ip);
  const netB = goParseCIDR(b);
  if (!netB) return undefined;
  const plain6 = (n: IPNet) => n.ip.length === 16 && n.mask.length === 16 && !isV4InV6(n.ip);
  if (plain6(netA) && plain6(netB)) {
    const masked = maskIP(netB.ip, netA.mask);
    return ones(netA.mask) <= ones(netB.mask) && masked !== undefined && masked.every((x, i) => x === netA.ip[i]);
  }
  return contains(netA, netB.ip) ? contains(netA, lastIP(netB)) : false;
}

function cidrIntersects(a: unknown, b: unknown): boolean | undefined {
  const x = goParseCIDR(a);
  const y = goParseCIDR(b);
  if (!x || !y) return undefined;
  return contains(x, y.ip) || contains(y, x.ip);
}

/** OPA's indexof: rune index, -1 when absent; an empty search string is an error. */
function indexOf(base: unknown, search: unknown): number | undefined {
  if (!isString(base) || !isString(search) || search === '') return undefined;
  const i = base.indexOf(search);
  return i < 0 ? -1 : [...base.slice(0, i)].length;
}

/** Strings handed back to the module must be well-formed UTF-16 (Go shows lone surrogates as U+FFFD). */
function wellFormed(v: unknown): unknown {
  if (typeof v === 'string') return toWellFormed(v);
  if (Array.isArray(v)) return v.map(wellFormed);
  if (v && typeof v === 'object' && !(v instanceof RawNumber)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[toWellFormed(k)] = wellFormed(x);
    return out;
  }
  return v;
}

const jsonMarshal: HostBuiltin = Object.assign((v: RegoValue) => goJsonMarshal(v), { regoValues: true });

export const NATIVE_BUILTINS: NativeBuiltin[] = [
  { builtin: 'json.marshal', cName: 'opa_json_marshal', impl: jsonMarshal },
  {
    builtin: 'json.unmarshal',
    cName: 'opa_json_unmarshal',
    impl: (s: unknown) => (isString(s) ? wellFormed(parseJsonKeepingNumbers(s)) : undefined),
  },
  {
    builtin: 'json.is_valid',
    cName: 'opa_json_is_valid',
    impl: (s: unknown) => {
      if (!isString(s)) return false;
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    builtin: 'base64.decode',
    cName: 'opa_base64_decode',
    impl: (s: unknown) => {
      const b = isString(s) ? goBase64Decode(s, 'std', true) : undefined;
      return b && goUtf8Decode(b);
    },
  },
  { builtin: 'base64.is_valid', cName: 'opa_base64_is_valid', impl: (s: unknown) => isString(s) && goBase64Decode(s, 'std', true) !== undefined },
  { builtin: 'net.cidr_contains', cName: 'opa_cidr_contains', impl: cidrContains },
  { builtin: 'net.cidr_intersects', cName: 'opa_cidr_intersects', impl: cidrIntersects },
  {
    builtin: 'regex.match',
    cName: 'opa_regex_match',
    impl: (p: unknown, s: unknown) => {
      if (!isString(p) || !isString(s)) return undefined;
      const c = compileRe2(p);
      return c && findAllIndex(c, s, 1).length > 0;
    },
  },
  { builtin: 'regex.is_valid', cName: 'opa_regex_is_valid', impl: (p: unknown) => isString(p) && compileRe2(p) !== undefined },
  {
    builtin: 'regex.find_all_string_submatch_n',
    cName: 'opa_regex_find_all_string_submatch',
    impl: (p: unknown, s: unknown, n: unknown) => {
      const count = toBigInt(n);
      if (!isString(p) || !isString(s) || count === undefined || count < -(2n ** 63n) || count >= 2n ** 63n) return undefined;
      const c = compileRe2(p);
      return (
        c &&
        findAllIndex(c, s, Number(count)).map((m) =>
          Array.from({ length: m.length / 2 }, (_, g) => (m[2 * g]! >= 0 ? s.slice(m[2 * g], m[2 * g + 1]) : '')),
        )
      );
    },
  },
  { builtin: 'indexof', cName: 'opa_strings_indexof', impl: indexOf },
];
