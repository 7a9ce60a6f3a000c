import { isString } from './exact-json.js';

/** Go's netip.ParseAddr: 4 or 16 bytes, or undefined. A zone (%eth0) is reported, as ParseCIDR refuses it. */
export function parseAddr(s: string): { bytes: number[]; is4: boolean; zone: boolean } | undefined {
  for (const c of s) {
    if (c === '.') {
      const b = parseIPv4(s);
      return b && { bytes: b, is4: true, zone: false };
    }
    if (c === ':') return parseIPv6(s);
    if (c === '%') return undefined;
  }
  return undefined;
}

/** Four decimal fields 0–255, no leading zeros, no empty field. */
function parseIPv4(s: string): number[] | undefined {
  const fields: number[] = [];
  let val = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= '0' && c <= '9') {
      if (digits === 1 && val === 0) return undefined;
      val = val * 10 + (c.charCodeAt(0) - 48);
      digits++;
      if (val > 255) return undefined;
    } else if (c === '.') {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') return undefined;
      if (fields.length === 3) return undefined;
      fields.push(val);
      val = 0;
      digits = 0;
    } else return undefined;
  }
  if (fields.length < 3) return undefined;
  fields.push(val);
  return fields;
}

function parseIPv6(input: string): { bytes: number[]; is4: boolean; zone: boolean } | undefined {
  let s = input;
  let zone = false;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (pct === s.length - 1) return undefined;
    s = s.slice(0, pct);
    zone = true;
  }
  const ip = new Array<number>(16).fill(0);
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return { bytes: ip, is4: false, zone };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const c = s[off]!;
      const v = /[0-9a-fA-F]/.test(c) ? parseInt(c, 16) : -1;
      if (v < 0) break;
      if (off > 3) return undefined;
      acc = (acc << 4) + v;
    }
    if (off === 0) return undefined;
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (!v4) return undefined;
      ip.splice(i, 4, ...v4);
      i += 4;
      s = '';
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) return undefined;
  return { bytes: ip, is4: false, zone };
}

/** Go's net.ParseCIDR: address (no zone) '/' decimal prefix length within the address size. */
export function parseCidr(s: string): { bytes: number[]; is4: boolean; bits: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddr(s.slice(0, slash));
  const mask = s.slice(slash + 1);
  if (!addr || addr.zone || !/^\d+$/.test(mask)) return undefined;
  let n = 0;
  for (const c of mask) {
    n = n * 10 + (c.charCodeAt(0) - 48);
    if (n >= 0xffffff) return undefined;
  }
  if (n > (addr.is4 ? 32 : 128)) return undefined;
  return { bytes: addr.bytes, is4: addr.is4, bits: n };
}

export const netBuiltins = {
  'net.cidr_is_valid': (cidr: unknown) => isString(cidr) && parseCidr(cidr) !== undefined,
};
