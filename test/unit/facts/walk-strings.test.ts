import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WALK_LIMITS, joinPath, type VisitKind, type WalkOptions, walkStrings } from '../../../src/facts/walk-strings.js';
import { parsePath, resolvePath } from './resolve-path.js';

type Visit = [path: string, value: string | number, kind: VisitKind];

function collect(value: unknown, opts?: WalkOptions): { visits: Visit[]; truncated: boolean } {
  const visits: Visit[] = [];
  const { truncated } = walkStrings(value, (path, v, kind) => visits.push([path, v, kind]), opts);
  return { visits, truncated };
}

describe('joinPath', () => {
  it.each([
    ['', 'url', 'url'],
    ['a', 'b', 'a.b'],
    ['a', 0, 'a[0]'],
    ['', 3, '[3]'],
    ['headers', 'x-y.z', 'headers["x-y.z"]'],
    ['', 'a b', '["a b"]'],
    ['a', '', 'a[""]'],
    ['a', '0', 'a["0"]'],
    ['a', '_x1', 'a._x1'],
    ['a', '$x', 'a["$x"]'],
    ['a', 'say "hi"\\', 'a["say \\"hi\\"\\\\"]'],
    ['a', 'ü', 'a["ü"]'],
    ['a', '__proto__', 'a.__proto__'],
  ])('%j + %j → %j', (base, key, expected) => {
    expect(joinPath(base, key)).toBe(expected);
  });
});

describe('walkStrings', () => {
  it('visits every string value in document order with its path', () => {
    const args = { url: 'u', items: [{ href: 'h0' }, 'plain', 7, null, true, { href: 'h1' }], headers: { 'x-y.z': 'v' }, n: { m: { o: 's' } } };
    expect(collect(args).visits).toEqual([
      ['url', 'u', 'string'],
      ['items[0].href', 'h0', 'string'],
      ['items[1]', 'plain', 'string'],
      ['items[5].href', 'h1', 'string'],
      ['headers["x-y.z"]', 'v', 'string'],
      ['n.m.o', 's', 'string'],
    ]);
  });

  it('gives the bare arguments string the empty path, and visits nothing in scalars', () => {
    expect(collect('just text').visits).toEqual([['', 'just text', 'string']]);
    for (const v of [null, undefined, 1, true, {}, []]) expect(collect(v)).toEqual({ visits: [], truncated: false });
  });

  it('visits keys and numbers only when asked', () => {
    const args = { 'a@b.co': { k: 4111111111111111 }, list: [1.5] };
    expect(collect(args).visits).toEqual([]);
    expect(collect(args, { keys: true, numbers: true }).visits).toEqual([
      ['["a@b.co"]', 'a@b.co', 'key'],
      ['list', 'list', 'key'],
      ['["a@b.co"].k', 'k', 'key'],
      ['["a@b.co"].k', 4111111111111111, 'number'],
      ['list[0]', 1.5, 'number'],
    ]);
  });

  it('has sane defaults', () => {
    expect(DEFAULT_WALK_LIMITS).toEqual({ maxDepth: 64, maxStrings: 10_000, maxNodes: 100_000 });
  });

  it('stops at maxStrings and says so', () => {
    const many = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const r = collect({ many }, { maxStrings: 10 });
    expect(r.truncated).toBe(true);
    expect(r.visits.map((v) => v[1])).toEqual(many.slice(0, 10));
    expect(collect({ many }, { maxStrings: 50 }).truncated).toBe(false);
  });

  it('counts keys against maxStrings when visiting keys', () => {
    const obj = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(collect(obj, { maxStrings: 10 }).truncated).toBe(false);
    expect(collect(obj, { maxStrings: 10, keys: true }).truncated).toBe(true);
  });

  it('stops at maxDepth and says so; a string at exactly maxDepth is still visited', () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 'deep';
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    expect(collect(nest(3), { maxDepth: 3 })).toEqual({ visits: [['[0][0][0]', 'deep', 'string']], truncated: false });
    expect(collect(nest(4), { maxDepth: 3 })).toEqual({ visits: [], truncated: true });
    expect(collect(nest(64)).truncated).toBe(false);
    expect(collect(nest(65)).truncated).toBe(true);
    // Deep input does not overflow the stack (the walk is iterative).
    expect(collect(nest(100_000), { maxDepth: 200_000, maxNodes: 200_000 }).visits).toHaveLength(1);
  });

  it('stops at maxNodes (values of any type) and says so', () => {
    const numbers = Array.from({ length: 1000 }, (_, i) => i);
    expect(collect(numbers, { maxNodes: 100 }).truncated).toBe(true);
    expect(collect(numbers, { maxNodes: 1001 }).truncated).toBe(false);
  });

  it('ignores invalid limits (falls back to the defaults)', () => {
    const many = Array.from({ length: 20 }, () => 's');
    expect(collect(many, { maxStrings: -1 }).visits).toHaveLength(20);
    expect(collect(many, { maxStrings: Number.NaN }).visits).toHaveLength(20);
  });

  it('terminates on a cyclic (non-JSON) object, reporting truncation', () => {
    const a: Record<string, unknown> = { s: 'x' };
    a.self = a;
    expect(collect(a).truncated).toBe(true);
  });

  it('never throws on arbitrary JSON, and every path resolves to the value it describes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        const { visits, truncated } = collect(value, { keys: true, numbers: true });
        expect(truncated).toBe(false);
        for (const [path, v, kind] of visits) {
          if (kind === 'key') {
            // A key's path is its member's path: the last step is the key itself.
            expect(parsePath(path).at(-1)).toBe(v);
            expect(resolvePath(value, path)).not.toBeUndefined();
          } else {
            expect(resolvePath(value, path)).toBe(v);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('visits exactly the strings a plain recursive walk finds', () => {
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v !== null && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(collect(value).visits.map((x) => x[1])).toEqual(strings(value));
      }),
      { numRuns: 300 },
    );
  });
});
