/**
 * Whether a JSON number literal survives JavaScript's reading of it: JSON.parse turns `1e400` into Infinity (which
 * reaches the policy as null), rounds integers beyond 2^53 (a 19-digit card number loses its last digits) and
 * rounds decimals with more than 17 significant digits (`500.0000000000000001` becomes 500, while a decoder with
 * exact decimals reads more than 500). A literal is faithful when the double JavaScript reads denotes the same
 * decimal value as the literal (`1.50`, `1E2` and `0.1` are faithful; `1e400`, `1e-400`, `9007199254740993` are
 * not). Others are refused with `body_number_unrepresentable`.
 */

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SMALL_INTEGER = /^-?\d{1,15}$/;

/** True unless `literal` is a valid JSON number that JavaScript cannot hold exactly. */
export function isFaithfulNumber(literal: string): boolean {
  if (SMALL_INTEGER.test(literal)) return true;
  if (!JSON_NUMBER.test(literal)) return true; // not a number token: JSON.parse reports the syntax error
  const n = Number(literal);
  if (!Number.isFinite(n)) return false;
  return decimalKey(literal) === decimalKey(String(n));
}

/** A canonical spelling of a decimal literal's value: sign, significant digits, position of the point. */
function decimalKey(s: string): string {
  let i = 0;
  let neg = false;
  if (s[0] === '-') {
    neg = true;
    i = 1;
  }
  let e = s.search(/[eE]/);
  const exp = e >= 0 ? Number(s.slice(e + 1)) : 0;
  if (e < 0) e = s.length;
  const mantissa = s.slice(i, e);
  const dot = mantissa.indexOf('.');
  const intPart = dot >= 0 ? mantissa.slice(0, dot) : mantissa;
  const digitsAll = dot >= 0 ? intPart + mantissa.slice(dot + 1) : intPart;
  let point = intPart.length + exp;
  let start = 0;
  while (start < digitsAll.length && digitsAll[start] === '0') {
    start++;
    point--;
  }
  let end = digitsAll.length;
  while (end > start && digitsAll[end - 1] === '0') end--;
  if (start === end) return '0';
  return `${neg ? '-' : ''}${digitsAll.slice(start, end)}e${point}`;
}
