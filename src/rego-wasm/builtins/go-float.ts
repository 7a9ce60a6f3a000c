/**
 * Go's strconv.FormatFloat for float64 ('e', 'E', 'f', 'g', 'G', 'b', 'x', 'X'), exact: digits come from the
 * double's exact decimal expansion and round half to even, as Go does; the shortest form is JavaScript's (both pick
 * the shortest digits that read back as the same double, the closest when several do).
 */

interface Digits {
  /** Decimal digits, no leading zeros ('' for zero). */
  d: string;
  /** Decimal point position: value = 0.d × 10^dp. */
  dp: number;
}

function bits(v: number): { neg: boolean; mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const b = view.getBigUint64(0);
  const neg = b >> 63n === 1n;
  let exp = Number((b >> 52n) & 0x7ffn);
  let mant = b & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { neg, mant, exp: exp - 1023 };
}

/** Exact decimal digits of |v|. */
function exact(v: number): Digits {
  const { mant, exp } = bits(v);
  if (mant === 0n) return { d: '', dp: 0 };
  const e2 = exp - 52;
  let s: string;
  let dp: number;
  if (e2 >= 0) {
    s = (mant << BigInt(e2)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e2)).toString();
    dp = s.length + e2; // divided by 10^-e2
  }
  const trimmed = s.replace(/^0+/, '');
  dp -= s.length - trimmed.length;
  return { d: trimmed.replace(/0+$/, ''), dp };
}

/** Round to n digits, half to even (the digits are exact, so "half" is exactly "5" and nothing after). */
function round(x: Digits, n: number): Digits {
  if (n < 0 || n >= x.d.length) return x;
  const head = x.d.slice(0, n);
  const rest = x.d.slice(n);
  let up = rest[0]! > '5' || (rest[0] === '5' && (rest.length > 1 || (n > 0 && (Number(head[n - 1]) & 1) === 1)));
  if (rest[0]! < '5') up = false;
  if (!up) return { d: head.replace(/0+$/, ''), dp: x.dp };
  if (n === 0) return { d: '1', dp: x.dp + 1 };
  const inc = (BigInt(head) + 1n).toString();
  if (inc.length > head.length) return { d: inc.replace(/0+$/, ''), dp: x.dp + 1 };
  return { d: inc.replace(/0+$/, ''), dp: x.dp };
}

/** Shortest digits that round-trip. */
function shortest(v: number): Digits {
  if (v === 0) return { d: '', dp: 0 };
  const [m, e] = Math.abs(v).toExponential().split('e') as [string, string];
  const d = m.replace('.', '').replace(/0+$/, '');
  return { d, dp: Number(e) + 1 };
}

const digitAt = (x: Digits, i: number): string => x.d[i] ?? '0';

function fmtE(neg: boolean, x: Digits, prec: number, ch: string): string {
  let out = neg ? '-' : '';
  out += x.d.length ? x.d[0] : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(x, i);
  }
  let exp = x.d.length === 0 ? 0 : x.dp - 1;
  out += ch;
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else out += '+';
  return out + (exp < 10 ? `0${exp}` : String(exp));
}

function fmtF(neg: boolean, x: Digits, prec: number): string {
  let out = neg ? '-' : '';
  if (x.dp > 0) {
    for (let i = 0; i < x.dp; i++) out += digitAt(x, i);
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = x.dp + i;
      out += j < 0 ? '0' : digitAt(x, j);
    }
  }
  return out;
}

function fmtB(v: number): string {
  const { neg, mant, exp } = bits(v);
  const e = exp - 52;
  return `${neg ? '-' : ''}${mant}p${e >= 0 ? '+' : ''}${e}`;
}

function fmtX(v: number, prec: number, upper: boolean): string {
  let { neg, mant, exp } = bits(v);
  if (mant === 0n) exp = 0;
  mant <<= 8n; // leading 1 at bit 60
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = `${neg ? '-' : ''}0${upper ? 'X' : 'x'}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += upper ? 'P' : 'p';
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else out += '+';
  return out + (exp < 10 ? `0${exp}` : String(exp));
}

/** strconv.FormatFloat(v, fmt, prec, 64). */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (fmt === 'b') return fmtB(v);
  if (fmt === 'x' || fmt === 'X') return fmtX(v, prec, fmt === 'X');
  const neg = v < 0 || Object.is(v, -0);
  const isShortest = prec < 0;
  let x: Digits;
  if (isShortest) {
    x = shortest(v);
    if (fmt === 'e' || fmt === 'E') prec = Math.max(x.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(x.d.length - x.dp, 0);
    else prec = x.d.length;
  } else {
    const e = exact(v);
    if (fmt === 'e' || fmt === 'E') x = round(e, prec + 1);
    else if (fmt === 'f') x = round(e, e.dp + prec);
    else {
      if (prec === 0) prec = 1;
      x = round(e, prec);
    }
  }
  if (fmt === 'e' || fmt === 'E') return fmtE(neg, x, prec, fmt);
  if (fmt === 'f') return fmtF(neg, x, prec);
  // 'g' / 'G'
  let eprec = prec;
  const nd = x.d.length;
  if (eprec > nd && nd >= x.dp) eprec = nd;
  if (isShortest) eprec = 6;
  const exp = x.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return fmtE(neg, x, prec - 1, fmt === 'g' ? 'e' : 'E');
  }
  if (prec > x.dp) prec = nd;
  return fmtF(neg, x, Math.max(prec - x.dp, 0));
}
