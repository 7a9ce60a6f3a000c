import { formatFloat } from './go-float.js';
import { canBackquote, goQuote, goQuoteRune, isPrint } from './go-quote.js';
import { regoString, type RegoValue } from './rego-value.js';

/**
 * OPA's sprintf: its arguments converted as builtinSprintf converts them (a number with '.', 'e' or 'E' in its text
 * is a float64, other numbers an int64 or a *big.Int, strings stay strings, anything else is its Rego text), then
 * Go's fmt.Sprintf, ported verb by verb (fmt/print.go, fmt/format.go, math/big's Int.Format).
 */
type Arg = { k: 'int'; v: bigint } | { k: 'big'; v: bigint } | { k: 'float'; v: number } | { k: 'string'; v: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function convert(v: RegoValue): Arg {
  if (v.t === 'num') {
    if (/[.eE]/.test(v.text)) {
      const f = Number(v.text);
      return Number.isFinite(f) ? { k: 'float', v: f } : { k: 'string', v: v.text };
    }
    const n = BigInt(v.text);
    return n >= INT64_MIN && n <= INT64_MAX ? { k: 'int', v: n } : { k: 'big', v: n };
  }
  if (v.t === 'str') return { k: 'string', v: v.v };
  return { k: 'string', v: regoString(v, (s) => goQuote(s)) };
}

const TYPE_NAMES: Record<Arg['k'], string> = { int: 'int64', big: '*big.Int', float: 'float64', string: 'string' };

interface Flags {
  widPresent: boolean;
  precPresent: boolean;
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  prec: number;
}

const clear = (): Flags => ({
  widPresent: false,
  precPresent: false,
  minus: false,
  plus: false,
  sharp: false,
  space: false,
  zero: false,
  plusV: false,
  sharpV: false,
  wid: 0,
  prec: 0,
});
const runeCount = (s: string): number => [...s].length;
const tooLarge = (x: number): boolean => x > 1e6 || x < -1e6;

class Printer {
  buf = '';
  f: Flags = clear();
  erroring = false;

  writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero && !this.f.minus ? '0' : ' ').repeat(n);
  }

  pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  fmtInteger(value: bigint, base: number, isSigned: boolean, verb: string, upper: boolean): void {
    const f = this.f;
    const negative = isSigned && value < 0n;
    let u = negative ? -value : value;
    if (!isSigned && u < 0n) u = BigInt.asUintN(64, u);
    let prec = 0;
    if (f.precPresent) {
      prec = f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = f.zero;
        f.zero = false;
        this.writePadding(f.wid);
        f.zero = oldZero;
        return;
      }
    } else if (f.zero && !f.minus && f.widPresent) {
      prec = f.wid;
      if (negative || f.plus || f.space) prec--;
    }
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (f.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
      else if (base === 16) digits = `0${upper ? 'X' : 'x'}${digits}`;
    }
    if (verb === 'O') digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (f.plus) digits = `+${digits}`;
    else if (f.space) digits = ` ${digits}`;
    const oldZero = f.zero;
    f.zero = false;
    this.pad(digits);
    f.zero = oldZero;
  }

  fmtUnicode(u: bigint): void {
    const f = this.f;
    let prec = 4;
    if (f.precPresent && f.prec > 4) prec = f.prec;
    let s = '';
    const masked = BigInt.asUintN(64, u);
    if (f.sharp && masked <= 0x10ffffn) {
      const ch = String.fromCodePoint(Number(masked));
      if (Number(masked) < 0xd800 || Number(masked) > 0xdfff) {
        if (isPrint(ch)) s = ` '${ch}'`;
      }
    }
    let hex = masked.toString(16).toUpperCase();
    if (hex.length < prec) hex = '0'.repeat(prec - hex.length) + hex;
    const oldZero = f.zero;
    f.zero = false;
    this.pad(`U+${hex}${s}`);
    f.zero = oldZero;
  }

  fmtC(c: bigint): void {
    const u = BigInt.asUintN(64, c);
    let r = u > 0x10ffffn ? 0xfffd : Number(u);
    if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd;
    this.pad(String.fromCodePoint(r));
  }

  fmtQc(c: bigint): void {
    const u = BigInt.asUintN(64, c);
    this.pad(goQuoteRune(u > 0x10ffffn ? 0xfffd : Number(u), this.f.plus));
  }

  truncate(s: string): string {
    if (!this.f.precPresent) return s;
    const chars = [...s];
    return chars.length > this.f.prec ? chars.slice(0, this.f.prec).join('') : s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtSx(s: string, upper: boolean): void {
    const f = this.f;
    const b = new TextEncoder().encode(s);
    let length = b.length;
    if (f.precPresent && f.prec < length) length = f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (f.space) {
        if (f.sharp) width *= 2;
        width += length - 1;
      } else if (f.sharp) width += 2;
    } else {
      if (f.widPresent) this.writePadding(f.wid);
      return;
    }
    if (f.widPresent && f.wid > width && !f.minus) this.writePadding(f.wid - width);
    const x = upper ? 'X' : 'x';
    let out = f.sharp ? `0${x}` : '';
    for (let i = 0; i < length; i++) {
      if (f.space && i > 0) out += f.sharp ? ` 0${x}` : ' ';
      const h = b[i]!.toString(16).padStart(2, '0');
      out += upper ? h.toUpperCase() : h;
    }
    this.buf += out;
    if (f.widPresent && f.wid > width && f.minus) this.writePadding(f.wid - width);
  }

  fmtQ(s: string): void {
    const t = this.truncate(s);
    if (this.f.sharp && canBackquote(t)) {
      this.pad(`\`${t}\``);
      return;
    }
    this.pad(goQuote(t, this.f.plus));
  }

  fmtFloat(v: number, verb: string, defaultPrec: number): void {
    const f = this.f;
    const prec = f.precPresent ? f.prec : defaultPrec;
    let num = formatFloat(v, verb, prec);
    if (num[0] === '-' || num[0] === '+') {
      // keep the sign
    } else num = `+${num}`;
    if (f.space && num[0] === '+' && !f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = f.zero;
      f.zero = false;
      if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
      this.pad(num);
      f.zero = oldZero;
      return;
    }
    if (f.sharp && verb !== 'b') {
      let digits = 0;
      if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
        digits = prec;
        if (digits === -1) digits = 6;
      }
      let tail = '';
      let hasDecimalPoint = false;
      let sawNonzeroDigit = false;
      let body = num;
      for (let i = 1; i < body.length; i++) {
        const ch = body[i]!;
        if (ch === '.') hasDecimalPoint = true;
        else if (ch === 'p' || ch === 'P') {
          tail = body.slice(i);
          body = body.slice(0, i);
          break;
        } else if ((ch === 'e' || ch === 'E') && verb !== 'x' && verb !== 'X') {
          tail = body.slice(i);
          body = body.slice(0, i);
          break;
        } else {
          if (ch !== '0') sawNonzeroDigit = true;
          if (sawNonzeroDigit) digits--;
        }
      }
      if (!hasDecimalPoint) {
        if (body.length === 2 && body[1] === '0') digits--;
        body += '.';
      }
      while (digits > 0) {
        body += '0';
        digits--;
      }
      num = body + tail;
    }
    if (f.plus || num[0] !== '+') {
      if (f.zero && !f.minus && f.widPresent && f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  badVerb(verb: string, arg: Arg): void {
    this.erroring = true;
    this.buf += `%!${verb}(${TYPE_NAMES[arg.k]}=`;
    this.printArg(arg, 'v');
    this.buf += ')';
    this.erroring = false;
  }

  /** math/big's (*Int).Format */
  formatBig(x: bigint, verb: string): void {
    const f = this.f;
    let base: number;
    switch (verb) {
      case 'b':
        base = 2;
        break;
      case 'o':
      case 'O':
        base = 8;
        break;
      case 'd':
      case 's':
      case 'v':
        base = 10;
        break;
      case 'x':
      case 'X':
        base = 16;
        break;
      default:
        this.buf += `%!${verb}(big.Int=${x.toString()})`;
        return;
    }
    const plus = f.plus || f.plusV;
    const sharp = f.sharp || f.sharpV;
    const sign = x < 0n ? '-' : plus ? '+' : f.space ? ' ' : '';
    let prefix = '';
    if (sharp) prefix = ({ b: '0b', o: '0', x: '0x', X: '0X' } as Record<string, string>)[verb] ?? '';
    if (verb === 'O') prefix = '0o';
    let digits = (x < 0n ? -x : x).toString(base);
    if (verb === 'X') digits = digits.toUpperCase();
    let left = 0;
    let zeros = 0;
    let right = 0;
    if (f.precPresent) {
      if (digits.length < f.prec) zeros = f.prec - digits.length;
      else if (digits === '0' && f.prec === 0) return;
    }
    const length = sign.length + prefix.length + zeros + digits.length;
    if (f.widPresent && length < f.wid) {
      const d = f.wid - length;
      if (f.minus) right = d;
      else if (f.zero && !f.precPresent) zeros = d;
      else left = d;
    }
    this.buf += ' '.repeat(left) + sign + prefix + '0'.repeat(zeros) + digits + ' '.repeat(right);
  }

  printArg(arg: Arg, verb: string): void {
    if (verb === 'T') {
      this.fmtS(TYPE_NAMES[arg.k]);
      return;
    }
    if (verb === 'p') {
      // A pointer's address (only *big.Int has one): not reproducible.
      if (arg.k === 'big') throw new Error('sprintf: %p of a big integer prints a memory address');
      this.buf += `%!p(${TYPE_NAMES[arg.k]}=`;
      this.printArg(arg, 'v');
      this.buf += ')';
      return;
    }
    switch (arg.k) {
      case 'float':
        switch (verb) {
          case 'v':
            this.fmtFloat(arg.v, 'g', -1);
            return;
          case 'b':
          case 'g':
          case 'G':
          case 'x':
          case 'X':
            this.fmtFloat(arg.v, verb, -1);
            return;
          case 'f':
          case 'e':
          case 'E':
            this.fmtFloat(arg.v, verb, 6);
            return;
          case 'F':
            this.fmtFloat(arg.v, 'f', 6);
            return;
          default:
            this.badVerb(verb, arg);
            return;
        }
      case 'int':
        switch (verb) {
          case 'v':
          case 'd':
            this.fmtInteger(arg.v, 10, true, verb, false);
            return;
          case 'b':
            this.fmtInteger(arg.v, 2, true, verb, false);
            return;
          case 'o':
          case 'O':
            this.fmtInteger(arg.v, 8, true, verb, false);
            return;
          case 'x':
            this.fmtInteger(arg.v, 16, true, verb, false);
            return;
          case 'X':
            this.fmtInteger(arg.v, 16, true, verb, true);
            return;
          case 'c':
            this.fmtC(arg.v);
            return;
          case 'q':
            this.fmtQc(arg.v);
            return;
          case 'U':
            this.fmtUnicode(arg.v);
            return;
          default:
            this.badVerb(verb, arg);
            return;
        }
      case 'string':
        switch (verb) {
          case 'v':
            this.f.sharpV ? this.fmtQ(arg.v) : this.fmtS(arg.v);
            return;
          case 's':
            this.fmtS(arg.v);
            return;
          case 'x':
            this.fmtSx(arg.v, false);
            return;
          case 'X':
            this.fmtSx(arg.v, true);
            return;
          case 'q':
            this.fmtQ(arg.v);
            return;
          default:
            this.badVerb(verb, arg);
            return;
        }
      case 'big':
        if (this.erroring) {
          // Inside %!w(…) Go skips Formatter and prints the pointer's struct: &{neg [64-bit words]}.
          const words: string[] = [];
          for (let x = arg.v < 0n ? -arg.v : arg.v; x > 0n; x >>= 64n) words.push(BigInt.asUintN(64, x).toString());
          this.buf += `&{${arg.v < 0n} [${words.join(' ')}]}`;
          return;
        }
        this.formatBig(arg.v, verb);
        return;
    }
  }
}

/** parsenum: a decimal number at s[start:end], at most 1e6. */
function parsenum(s: string, start: number, end: number): { num: number; isnum: boolean; newi: number } {
  if (start >= end) return { num: 0, isnum: false, newi: end };
  let num = 0;
  let isnum = false;
  let newi = start;
  for (; newi < end && s[newi]! >= '0' && s[newi]! <= '9'; newi++) {
    if (tooLarge(num)) return { num: 0, isnum: false, newi: end };
    num = num * 10 + (s.charCodeAt(newi) - 48);
    isnum = true;
  }
  return { num, isnum, newi };
}

export function goSprintf(format: string, a: Arg[]): string {
  // Go indexes the format by bytes; work on a string of one char per UTF-8 byte and decode verbs as UTF-8.
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const argNumber = (i: number): { i: number; found: boolean } => {
    if (format.length <= i || format[i] !== '[') return { i, found: false };
    reordered = true;
    // parseArgNumber
    const sub = format.slice(i);
    let index = 0;
    let wid = 1;
    let ok = false;
    if (sub.length >= 3) {
      for (let k = 1; k < sub.length; k++) {
        if (sub[k] === ']') {
          const { num, isnum, newi } = parsenum(sub, 1, k);
          if (!isnum || newi !== k) {
            wid = k + 1;
            ok = false;
          } else {
            index = num - 1;
            wid = k + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && index < a.length) {
      argNum = index;
      return { i: i + wid, found: true };
    }
    goodArgNum = false;
    return { i: i + wid, found: ok };
  };

  const intFromArg = (): { num: number; isInt: boolean } => {
    let num = 0;
    let isInt = false;
    if (argNum < a.length) {
      const arg = a[argNum]!;
      if (arg.k === 'int') {
        num = Number(arg.v);
        isInt = true;
      }
      argNum++;
      if (tooLarge(num)) {
        num = 0;
        isInt = false;
      }
    }
    return { num, isInt };
  };

  let i = 0;
  formatLoop: while (i < end) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.f = clear();
    simple: for (; i < end; i++) {
      const c = format[i]!;
      switch (c) {
        case '#':
          p.f.sharp = true;
          break;
        case '0':
          p.f.zero = true;
          break;
        case '+':
          p.f.plus = true;
          break;
        case '-':
          p.f.minus = true;
          break;
        case ' ':
          p.f.space = true;
          break;
        default:
          if (c >= 'a' && c <= 'z' && argNum < a.length) {
            if (c === 'v' || c === 'w') {
              p.f.sharpV = p.f.sharp;
              p.f.sharp = false;
              p.f.plusV = p.f.plus;
              p.f.plus = false;
            }
            if (c === 'w') p.badVerb('w', a[argNum]!);
            else p.printArg(a[argNum]!, c);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simple;
      }
    }
    ({ i, found: afterIndex } = argNumber(i));
    if (i < end && format[i] === '*') {
      i++;
      const { num, isInt } = intFromArg();
      p.f.wid = num;
      p.f.widPresent = isInt;
      if (!isInt) p.buf += '%!(BADWIDTH)';
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      const r = parsenum(format, i, end);
      p.f.wid = r.num;
      p.f.widPresent = r.isnum;
      i = r.newi;
      if (afterIndex && p.f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      ({ i, found: afterIndex } = argNumber(i));
      if (i < end && format[i] === '*') {
        i++;
        const { num, isInt } = intFromArg();
        p.f.prec = num;
        p.f.precPresent = isInt;
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!p.f.precPresent) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const r = parsenum(format, i, end);
        p.f.prec = r.num;
        p.f.precPresent = r.isnum;
        i = r.newi;
        if (!p.f.precPresent) {
          p.f.prec = 0;
          p.f.precPresent = true;
        }
      }
    }
    if (!afterIndex) ({ i, found: afterIndex } = argNumber(i));
    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') p.buf += '%';
    else if (!goodArgNum) p.buf += `%!${verb}(BADINDEX)`;
    else if (argNum >= a.length) p.buf += `%!${verb}(MISSING)`;
    else {
      if (verb === 'v' || verb === 'w') {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      if (verb === 'w') p.badVerb('w', a[argNum]!);
      else p.printArg(a[argNum]!, verb);
      argNum++;
    }
  }
  if (!reordered && argNum < a.length) {
    p.f = clear();
    p.buf += '%!(EXTRA ';
    a.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.buf += ', ';
      p.buf += `${TYPE_NAMES[arg.k]}=`;
      p.printArg(arg, 'v');
    });
    p.buf += ')';
  }
  return p.buf;
}

/** sprintf(format, values): values must be an array. */
export const sprintf = Object.assign(
  (format: RegoValue, values: RegoValue): string | undefined => {
    if (format.t !== 'str' || values.t !== 'arr') return undefined;
    return goSprintf(format.v, values.items.map(convert));
  },
  { regoValues: true },
);
