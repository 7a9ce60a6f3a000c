import { describe, expect, it } from 'vitest';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { detectInString, luhn } from '../../../src/facts/pii.js';

describe('PII and secret detectors', () => {
  it.each([
    ['my ssn is 123-45-6789', ['ssn']],
    ['000-12-3456', []],
    ['666-12-3456', []],
    ['912-34-5678', []],
    ['123-00-4567', []],
    ['123-45-0000', []],
    ['phone 555-123-45678', []],
    ['card 4111 1111 1111 1111 exp', ['credit_card']],
    ['4111-1111-1111-1111', ['credit_card']],
    ['5500000000000004', ['credit_card']],
    ['378282246310005', ['credit_card']],
    ['4111111111111112', []],
    ['1234567890123456', []],
    ['0000000000000000', []],
    ['order 12345', []],
    ['mail bob.smith+x@example.co.uk please', ['email']],
    ['not an email: a@b', []],
    ['AKIAIOSFODNN7EXAMPLE', ['aws_access_key']],
    ['akiaiosfodnn7example', []],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE', ['private_key']],
    ['-----BEGIN PRIVATE KEY-----', ['private_key']],
    ['-----BEGIN PUBLIC KEY-----', []],
    ['Authorization: Bearer abcdef0123456789', ['bearer_token']],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig', ['jwt']],
    ['ghp_' + 'a'.repeat(36), ['github_token']],
    ['xoxb-1234567890-abcdef', ['slack_token']],
    ['plain text without secrets', []],
  ])('%j → %j', (s, types) => {
    expect(detectInString(s)).toEqual(types);
  });

  it('implements Luhn', () => {
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
  });

  it('flags findings with their argument path, never the value', () => {
    const { findings } = computeArgumentFacts({ customer: { ssn: '123-45-6789', notes: ['card 4111111111111111'] }, email: 'a@example.com' });
    expect(findings).toEqual([
      { type: 'ssn', path: 'customer.ssn' },
      { type: 'credit_card', path: 'customer.notes[0]' },
      { type: 'email', path: 'email' },
    ]);
    expect(JSON.stringify(findings)).not.toContain('6789');
  });

  it('handles a 1 MB string in one pass (linear patterns), still finding what is at the end', () => {
    const big = `${'a'.repeat(1024 * 1024)} 123-45-6789 ${'@'.repeat(1000)} x@${'b'.repeat(5000)}`;
    expect(detectInString(big)).toContain('ssn');
    const digits = '1'.repeat(1024 * 1024);
    expect(detectInString(digits)).toEqual([]);
  });
});

describe('input.now', () => {
  it('is the check time truncated to the minute, exact in nanoseconds', async () => {
    const { addNow } = await import('../../../src/facts/enrich.js');
    const input = {} as any;
    addNow(input, Date.UTC(2026, 10, 22, 10, 0, 59, 999));
    expect(input.now).toEqual({ unix_ns: Date.UTC(2026, 10, 22, 10, 0) * 1e6, rfc3339: '2026-11-22T10:00:00Z' });
    expect(Number.isSafeInteger(input.now.unix_ns / 2048)).toBe(true);
    addNow(input, Date.UTC(2026, 10, 22, 10, 1, 0));
    expect(input.now.rfc3339).toBe('2026-11-22T10:01:00Z');
  });
});
