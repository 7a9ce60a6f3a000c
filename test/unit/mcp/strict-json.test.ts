import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../../src/mcp/strict-json.js';

const limits = { maxDepth: 64 };

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on any JSON without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
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
