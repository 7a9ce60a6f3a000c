/** Luhn (mod 10) checksum over a string of ASCII digits. False for an empty string or any non-digit. */
export function luhn(digits: string): boolean {
  if (digits.length === 0) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * A payment card number: 13–19 digits, an issuer prefix (IIN) of a major network, Luhn-valid, and not one digit
 * repeated. Networks: Visa 4; Mastercard 51–55 and 2221–2720; American Express 34/37 (15 digits); Diners Club
 * 300–305, 36, 38, 39; JCB 3528–3589; Discover, UnionPay, RuPay, Maestro 5018/502–509/56–69 (6xxx).
 */
export function isCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19 || !plausibleIin(digits)) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  return luhn(digits);
}

function plausibleIin(d: string): boolean {
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  switch (d[0]) {
    case '4':
      return true;
    case '2':
      return p4 >= 2221 && p4 <= 2720;
    case '5':
      return p2 >= 50 && p2 <= 59;
    case '6':
      return true;
    case '3':
      if (p2 === 34 || p2 === 37) return d.length === 15;
      return (p4 >= 3000 && p4 <= 3059) || p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3528 && p4 <= 3589);
    default:
      return false;
  }
}
