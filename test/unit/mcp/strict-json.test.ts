import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../../src/mcp/strict-json.js';
import { foldKey } from '../../../src/mcp/fold-key.js';

/** True when some object in v has two keys a case-insensitive (Go-style) decoder reads as one. */
const foldCollision = (v: unknown): boolean => {
  if (Array.isArray(v)) return v.some(foldCollision);
  if (v === null || typeof v !== 'object') return false;
  const keys = Object.keys(v);
  return new Set(keys.map(foldKey)).size !== keys.length || Object.values(v).some(foldCollision);
};

const limits = { maxDepth: 64 };

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on any JSON without duplicate (or case-folded duplicate) keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        fc.pre(!foldCollision(value));
        const text = JSON.stringify(value);
        const r = parseStrictJson(text, limits);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const r = parseStrictJson(text, limits);
        if (r.ok) expect(r.value).toEqual(JSON.parse(text));
        else expect(r.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('finds duplicate keys at any depth, not confused by keys inside strings', () => {
    expect(parseStrictJson('{"a":{"b":1,"b":2}}', limits)).toMatchObject({ ok: false, code: 'body_duplicate_key' });
    expect(parseStrictJson('[{"a":1},{"a":2}]', limits).ok).toBe(true);
    expect(parseStrictJson('{"a":"\\"a\\":","b":{"a":1}}', limits).ok).toBe(true);
    expect(parseStrictJson('{"a":[{"x":1}],"a":2}', limits)).toMatchObject({ ok: false, code: 'body_duplicate_key' });
    expect(parseStrictJson('{"k":1,"\\u006b":2}', limits)).toMatchObject({ ok: false, code: 'body_duplicate_key' });
  });

  it('rejects nesting beyond the limit before parsing, and accepts it at the limit', () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(parseStrictJson(deep(64), limits).ok).toBe(true);
    expect(parseStrictJson(deep(65), limits)).toMatchObject({ ok: false, code: 'body_too_deep' });
    // A million open brackets: bounded work, a clear answer, no stack overflow.
    expect(parseStrictJson('['.repeat(1_000_000), limits)).toMatchObject({ ok: false, code: 'body_too_deep' });
  });

  it('reports invalid JSON with a message', () => {
    const r = parseStrictJson('{"a":', limits);
    expect(r).toMatchObject({ ok: false, code: 'body_invalid_json' });
  });
});

describe('parseStrictJson: what other decoders read differently', () => {
  const code = (text: string) => {
    const r = parseStrictJson(text, limits);
    return r.ok ? 'ok' : r.code;
  };

  it('refuses numbers JavaScript cannot hold exactly', () => {
    for (const n of [
      '1e400',
      '1E999',
      '-1e400',
      '1e-400',
      '9007199254740993',
      '4111111111111111111',
      '500.0000000000000001',
      '12345678901234567890',
    ]) {
      expect(code(`{"a":${n}}`), n).toBe('body_number_unrepresentable');
    }
    for (const n of ['0', '-0', '1.50', '1E2', '0.1', '9007199254740991', '1e21', '123456789012345', '2.5e-7', '-12.75']) {
      expect(code(`{"a":${n}}`), n).toBe('ok');
    }
  });

  it('refuses lone surrogates, raw or escaped, and accepts pairs', () => {
    expect(code('{"a":"\\ud800"}')).toBe('body_invalid_unicode');
    expect(code('{"a":"x\\uDC00y"}')).toBe('body_invalid_unicode');
    expect(code('{"\\ud800":1}')).toBe('body_invalid_unicode');
    expect(code('{"a":"\ud800"}')).toBe('body_invalid_unicode');
    expect(code('{"a":"\\ud83d\\ude00"}')).toBe('ok');
    expect(code('{"a":"\\\\ud800"}')).toBe('ok'); // an escaped backslash, then the letters "ud800"
  });

  it('refuses keys equal under case or Unicode folding (Go encoding/json)', () => {
    expect(code('{"url":1,"URL":2}')).toBe('body_duplicate_key');
    expect(code('{"pass":1,"pa\\u017fs":2}')).toBe('body_duplicate_key'); // ſ (long s) folds to s
    expect(code('{"kind":1,"\\u212aind":2}')).toBe('body_duplicate_key'); // K (Kelvin sign) folds to k
    expect(code('{"a":{"Name":1,"nAME":2}}')).toBe('body_duplicate_key');
    expect(code('{"ß":1,"ss":2}')).toBe('ok');
  });
});
