/**
 * Go's byte-level conventions, where OPA's answers depend on them: a string holding invalid UTF-8 prints each bad
 * byte as U+FFFD (utf8.DecodeRune), base64 as encoding/base64 decodes it, string order as byte order.
 */

/** Bytes to a string as Go shows them: each byte that does not start a valid UTF-8 sequence becomes U+FFFD. */
export function goUtf8Decode(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) [need, cp] = [1, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) {
      [need, cp] = [2, c & 0x0f];
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      [need, cp] = [3, c & 0x07];
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    }
    let ok = need > 0;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const x = b[i + k];
        const [l, h] = k === 1 ? [lo, hi] : [0x80, 0xbf];
        if (x === undefined || x < l || x > h) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (x & 0x3f);
      }
    }
    if (!ok) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * encoding/base64 DecodeString (not Strict): '\r' and '\n' are skipped, padding must be complete when `padded`,
 * unused trailing bits are ignored. Undefined where Go returns an error.
 */
export function goBase64Decode(s: string, alphabet: 'std' | 'url', padded: boolean): Uint8Array | undefined {
  const table = alphabet === 'std' ? STD : URL;
  const chars = s.replace(/[\r\n]/g, '');
  const out: number[] = [];
  let i = 0;
  while (i < chars.length) {
    const quantum: number[] = [];
    let pad = 0;
    while (quantum.length + pad < 4 && i < chars.length) {
      const ch = chars[i++]!;
      if (ch === '=' && padded) {
        if (quantum.length < 2) return undefined;
        pad++;
        continue;
      }
      if (pad > 0) return undefined;
      const v = table.indexOf(ch);
      if (v < 0 || ch === '=') return undefined;
      quantum.push(v);
    }
    if (pad > 0) {
      // "xx==" or "xxx=": nothing may follow the padding.
      if (quantum.length + pad !== 4 || i < chars.length) return undefined;
    } else if (quantum.length < 4) {
      if (padded || quantum.length < 2) return undefined;
    }
    const [a, b, c, d] = [quantum[0]!, quantum[1]!, quantum[2] ?? 0, quantum[3] ?? 0];
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((n >> 16) & 0xff);
    if (quantum.length > 2) out.push((n >> 8) & 0xff);
    if (quantum.length > 3) out.push(n & 0xff);
  }
  return Uint8Array.from(out);
}

/** Go's string order (bytewise UTF-8), which is code point order. */
export function goCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Lone surrogates (not UTF-8 encodable) as U+FFFD, which is what Go reads them as. */
export const toWellFormed = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
