import { describe, expect, it } from 'vitest';
import { isCardNumber, luhn } from '../../../src/facts/luhn.js';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { detectInNumber, detectInString, type FindingType } from '../../../src/facts/pii.js';

const MB = 1024 * 1024;

describe('Luhn and card numbers', () => {
  it('implements Luhn', () => {
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
    expect(luhn('')).toBe(false);
    expect(luhn('7992739871x')).toBe(false);
  });

  it.each([
    ['4111111111111111', true], // Visa
    ['4222222222222', true], // Visa, 13 digits
    ['5500000000000004', true], // Mastercard
    ['2223003122003222', true], // Mastercard 2-series
    ['378282246310005', true], // American Express
    ['6011111111111117', true], // Discover
    ['3530111333300000', true], // JCB
    ['30569309025904', true], // Diners Club
    ['4111111111111112', false], // Luhn fails
    ['5500000000000005', false], // Luhn fails
    ['1234567812345670', false], // Luhn-valid, no issuer prefix
    ['9999999999999995', false], // Luhn-valid, no issuer prefix
    ['3782822463100050', false], // Amex prefix with 16 digits
    ['0000000000000000', false], // one digit repeated
    ['411111111111', false], // 12 digits
    ['41111111111111111111', false], // 20 digits
  ])('%s → %s', (digits, expected) => expect(isCardNumber(digits)).toBe(expected));
});

describe('detectInString', () => {
  it.each<[string, FindingType[]]>([
    ['my ssn is 123-45-6789', ['ssn']],
    ['SSN:078-05-1120.', ['ssn']],
    ['000-12-3456', []],
    ['666-12-3456', []],
    ['912-34-5678', []],
    ['123-00-4567', []],
    ['123-45-0000', []],
    ['phone 555-123-45678', []],
    ['1123-45-6789', []],
    ['123-45-67890', []],
    ['123456789', []],
    ['card 4111 1111 1111 1111 exp 12/29', ['credit_card']],
    ['4111-1111-1111-1111', ['credit_card']],
    ['5500000000000004', ['credit_card']],
    ['amex 3782 822463 10005', ['credit_card']],
    ['4111111111111112', []],
    ['4111 1111 1111 1112', []],
    ['1234567890123456', []],
    ['0000000000000000', []],
    ['ts 1732270000000 ms', []],
    ['order 12345', []],
    ['mail bob.smith+x@example.co.uk please', ['email']],
    ['<ALICE@EXAMPLE.COM>', ['email']],
    ['not an email: a@b', []],
    ['user@localhost', []],
    ['@example.com', []],
    ['foo@bar.c0m', []],
    ['https://api.weather.gov@evil.com/', []],
    ['https://user:pw@example.com/', []],
    ['https://a.com/share?to=bob@example.com', ['email']],
    ['mailto:bob@example.com', ['email']],
    ['email:bob@example.com', ['email']],
    ['AKIAIOSFODNN7EXAMPLE', ['aws_access_key']],
    ['key=ASIAY34FZKBOKMUTVV7A;', ['aws_access_key']],
    ['akiaiosfodnn7example', []],
    ['XAKIAIOSFODNN7EXAMPLE', []],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE', ['private_key']],
    ['-----BEGIN PRIVATE KEY-----', ['private_key']],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', ['private_key']],
    ['-----BEGIN ENCRYPTED PRIVATE KEY-----', ['private_key']],
    ['-----BEGIN PGP PRIVATE KEY BLOCK-----', ['private_key']],
    ['-----BEGIN PUBLIC KEY-----', []],
    ['-----BEGIN CERTIFICATE-----', []],
    ['Authorization: Bearer abcdef0123456789', ['bearer_token']],
    ['authorization: bearer AbCdEfGhIjKlMnOpQr', ['bearer_token']],
    ['the bearer of this letter', []],
    ['Bearer instrument', []],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig', ['jwt']],
    ['Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig', ['bearer_token', 'jwt']],
    ['eyJhbGciOiJIUzI1NiJ9 is a header only', []],
    [`ghp_${'a1'.repeat(18)}`, ['github_token']],
    [`github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, ['github_token']],
    ['ghp_short', []],
    ['xoxb-1234567890-abcdefghij', ['slack_token']],
    ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', ['slack_webhook']],
    [`sk_live_${'a1'.repeat(12)}`, ['stripe_key']],
    [`AIza${'x1'.repeat(17)}y`, ['google_api_key']],
    [`sk-proj-${'Ab3'.repeat(15)}`, ['openai_api_key']],
    [`sk-ant-api03-${'Xy_9'.repeat(20)}`, ['anthropic_api_key']],
    [`npm_${'a1B2'.repeat(9)}`, ['npm_token']],
    ['plain text without secrets', []],
    ['', []],
  ])('%j → %j', (s, types) => {
    expect(detectInString(s)).toEqual(types);
  });

  it('finds several types in one string, each once', () => {
    expect(detectInString('ssn 123-45-6789, ssn 234-56-7890, mail a@example.com, card 4111111111111111')).toEqual(['ssn', 'credit_card', 'email']);
  });

  it('handles 1 MB strings (linear patterns), still finding what is at the end', () => {
    expect(detectInString(`${'a'.repeat(MB)} 123-45-6789`)).toEqual(['ssn']);
    expect(detectInString(`${'a'.repeat(MB)} x@${'b'.repeat(60)}.com`)).toEqual(['email']);
    expect(detectInString(`x@${'b'.repeat(MB)}.com`)).toEqual([]); // a DNS label is at most 63 characters
    expect(detectInString('1'.repeat(MB))).toEqual([]);
    expect(detectInString(`${'1 '.repeat(MB / 2)}`)).toEqual([]);
    expect(detectInString(`${'1-'.repeat(MB / 2)}`)).toEqual([]);
    expect(detectInString('@'.repeat(MB))).toEqual([]);
    expect(detectInString('a@'.repeat(MB / 2))).toEqual([]);
    expect(detectInString(`${'a.'.repeat(MB / 2)}@x`)).toEqual([]);
    expect(detectInString('eyJ-'.repeat(MB / 4))).toEqual([]);
    expect(detectInString(`eyJ${'a'.repeat(MB)}.eyJabcd.x`)).toEqual(['jwt']);
    expect(detectInString('sk-proj-'.repeat(MB / 8))).toEqual(['openai_api_key']);
    expect(detectInString('Bearer '.repeat(MB / 7))).toEqual([]);
    expect(detectInString(`Bearer ${'-'.repeat(MB)}`)).toEqual([]);
    expect(detectInString('-----BEGIN '.repeat(MB / 11))).toEqual([]);
    expect(detectInString('xox'.repeat(MB / 3))).toEqual([]);
    expect(detectInString(`${'A'.repeat(MB)}KIA`)).toEqual([]);
    expect(detectInString(`${'x'.repeat(MB)} AKIAIOSFODNN7EXAMPLE`)).toEqual(['aws_access_key']);
  });
});

describe('detectInNumber', () => {
  it.each([
    [4111111111111111, ['credit_card']],
    [5500000000000004, ['credit_card']],
    [4111111111111112, []],
    [1732270000000, []],
    [123456789, []],
    [4.111111111111111, []],
    [-4111111111111111, []],
  ])('%d → %j', (n, types) => expect(detectInNumber(n)).toEqual(types));
});

// Findings as the check computes them: the one argument walk (computeArgumentFacts), documents included.
describe('findings of the argument walk', () => {
  it('reports findings with their argument paths, in keys and numbers too, never the value', () => {
    const args = {
      customer: { ssn: '123-45-6789', notes: ['card 4111111111111111', 'fine'] },
      email: 'a@example.com',
      payment: { number: 4111111111111111 },
      index: { 'bob@example.com': { seen: true } },
      'x-y.z': ['Bearer abcdef0123456789'],
    };
    const { findings, truncated } = computeArgumentFacts(args);
    expect(truncated).toBe(false);
    expect(findings).toEqual([
      { type: 'ssn', path: 'customer.ssn' },
      { type: 'credit_card', path: 'customer.notes[0]' },
      { type: 'email', path: 'email' },
      { type: 'credit_card', path: 'payment.number' },
      { type: 'email', path: 'index["bob@example.com"]', in_key: true },
      { type: 'bearer_token', path: '["x-y.z"][0]' },
    ]);
    const logged = JSON.stringify(findings);
    for (const secret of ['6789', '41111111', 'a@example', 'abcdef0123']) expect(logged).not.toContain(secret);
  });

  it('reports truncation', () => {
    const many = Array.from({ length: 100 }, () => '123-45-6789');
    expect(computeArgumentFacts({ many }, { maxStrings: 10 }).truncated).toBe(true);
    expect(computeArgumentFacts({ many }).findings).toHaveLength(100);
  });

  it('finds nothing in clean arguments', () => {
    const { findings, truncated } = computeArgumentFacts({ q: 'weather in Paris', days: 3, units: ['metric'], opts: { verbose: true } });
    expect({ findings, truncated }).toEqual({ findings: [], truncated: false });
  });
});

// Issue 19 §3: a separator is any one character that is not a letter, mark or digit.
describe('PII separators, defined positively', () => {
  it.each([
    ['U+2212 minus', '123\u221245\u22126789'],
    ['U+02D7 modifier minus', '123\u02d745\u02d76789'],
    ['U+2043 hyphen bullet', '123\u204345\u20436789'],
    ['tab', '123\t45\t6789'],
    ['dot', '123.45.6789'],
    ['slash', '123/45/6789'],
  ])('an SSN with %s', (_n, s) => expect(detectInString(`ssn ${s}`)).toContain('ssn'));

  it.each([
    ['U+2212 minus', '4111\u22121111\u22121111\u22121111'],
    ['U+02D7', '4111\u02d71111\u02d71111\u02d71111'],
    ['U+2043', '4111\u20431111\u20431111\u20431111'],
    ['tabs', '4111\t1111\t1111\t1111'],
    ['dots', '4111.1111.1111.1111'],
    ['mixed', '4111 1111-1111\u22121111'],
  ])('a card with %s', (_n, s) => expect(detectInString(`card ${s}`)).toContain('credit_card'));

  it('leaves ordinary numbers alone', () => {
    for (const s of ['call 555 12 3456', 'version 1.2.3', 'order 123-4567', 'progress=100%', '2026-12-07T06:46:36Z'])
      expect(detectInString(s), s).toEqual([]);
  });
});
