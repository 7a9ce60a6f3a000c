import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, compileKeySpec, keyJson, type KeySpec } from '../../../src/cache/canonical-key.js';
import { DEFAULT_VOLATILE_HEADERS, DEFAULT_VOLATILE_PATHS } from '../../../src/cache/volatile-fields.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { DEFAULT_LIMITS, inputOf } from '../../helpers/pipeline.js';

type J = null | boolean | number | string | J[] | { [k: string]: J };

const NOTHING_VOLATILE: KeySpec = compileKeySpec({ volatileHeaders: [], volatilePaths: [] });
const DEFAULTS: KeySpec = compileKeySpec();

/** What the policy receives: JSON text, parsed. */
const asPolicySees = (v: unknown): J => JSON.parse(JSON.stringify(v)) as J;

/** The same value with object keys in another (seeded) order at every depth. */
function reorder(v: J, seed: number): J {
  if (Array.isArray(v)) return v.map((x, i) => reorder(x, seed + i));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  const rotated = keys.map((_, i) => keys[(i + seed) % keys.length]!).reverse();
  const out: Record<string, J> = {};
  for (const k of rotated) Object.defineProperty(out, k, { value: reorder(v[k]!, seed + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Every path (object keys and array indices) that leads to a value inside `v`, the root included. */
function pathsOf(v: J, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      pathsOf(x, [...prefix, i], out);
    });
  } else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) pathsOf(v[k]!, [...prefix, k], out);
  return out;
}

type Mutation = { op: 'replace'; value: J } | { op: 'delete' } | { op: 'add'; key: string; value: J } | { op: 'retype' };

/** The same content in a neighbouring type: the confusions a sloppy canonical form makes. */
function retype(v: J): J {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v === 'null' ? null : v === 'true' ? true : [v];
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

/** Apply one mutation at `path` of a deep copy of `v`. */
function mutate(v: J, path: (string | number)[], m: Mutation): J {
  const copy = asPolicySees(v);
  if (path.length === 0) {
    if (m.op === 'replace') return m.value;
    if (m.op === 'retype') return retype(copy);
    if (m.op === 'add' && copy !== null && typeof copy === 'object' && !Array.isArray(copy)) {
      Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  let parent: any = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg];
  const last = path[path.length - 1]!;
  const target = parent[last];
  if (m.op === 'retype') Object.defineProperty(parent, last, { value: retype(target), enumerable: true, writable: true, configurable: true });
  else if (m.op === 'replace') Object.defineProperty(parent, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
    Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** JSON values dense in near-collisions: small numbers beside digit strings, "null" beside null, short keys. */
const confusable: fc.Arbitrary<J> = fc.letrec<{ v: J }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.integer({ min: -3, max: 3 }).map(String),
      fc.constantFrom<J>(null, true, false, 'null', 'true', 'false', '', ' ', '0.5', 0.5, 1e21, '1e+21'),
      fc.string({ maxLength: 4 }),
    ),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 2 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;
const jsonArb: fc.Arbitrary<J> = fc.oneof(fc.jsonValue() as fc.Arbitrary<J>, confusable);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), value: jsonArb }),
  fc.record({ op: fc.constant('delete' as const) }),
  fc.record({ op: fc.constant('retype' as const) }),
  fc.record({ op: fc.constant('add' as const), key: fc.string({ maxLength: 2 }), value: jsonArb }),
);

describe('canonicalJson', () => {
  it('is JSON text for exactly what JSON.stringify gives the policy', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v, NOTHING_VOLATILE);
        expect(isDeepStrictEqual(JSON.parse(text), asPolicySees(v))).toBe(true);
        expect(canonicalJson(JSON.parse(text), NOTHING_VOLATILE)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('escapes every string (keys included) exactly as JSON.stringify does, lone surrogates included', () => {
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: anyCodeUnit }), fc.string({ unit: 'binary' }), fc.string()), (str) => {
        expect(canonicalJson(str, NOTHING_VOLATILE)).toBe(JSON.stringify(str));
        expect(canonicalJson({ [str]: str }, NOTHING_VOLATILE)).toBe(JSON.stringify({ [str]: str }));
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on object key order, at any depth', () => {
    fc.assert(
      fc.property(jsonArb, fc.nat(), (v, seed) => {
        expect(canonicalJson(reorder(v, seed), NOTHING_VOLATILE)).toBe(canonicalJson(v, NOTHING_VOLATILE));
      }),
      { numRuns: 300 },
    );
  });

  it('inputs the policy sees differently never share a form; inputs it sees alike always do', () => {
    fc.assert(
      fc.property(jsonArb, fc.nat(), mutationArb, (a, pick, m) => {
        const paths = pathsOf(a);
        const b = mutate(a, paths[pick % paths.length]!, m);
        const sameToPolicy = isDeepStrictEqual(asPolicySees(a), asPolicySees(b));
        expect(canonicalJson(a, NOTHING_VOLATILE) === canonicalJson(b, NOTHING_VOLATILE)).toBe(sameToPolicy);
        expect(canonicalJson(a, NOTHING_VOLATILE) === canonicalJson(b, NOTHING_VOLATILE)).toBe(sameToPolicy);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps types apart and follows JSON.stringify for non-JSON values', () => {
    const distinct: unknown[] = [
      { a: 1 },
      { a: '1' },
      { a: null },
      {},
      { a: true },
      { a: 'true' },
      { a: [] },
      { a: {} },
      { a: [null] },
      { a: '' },
      { a: 'b","c":"d' },
      { a: 'b', c: 'd' },
      { 'a"': 1 },
      { a: '\ud800' },
      { a: '\udbff' },
      { a: '\ufffd' },
      [1, 2],
      [2, 1],
      ['1', 2],
    ];
    const forms = distinct.map((v) => canonicalJson(v, NOTHING_VOLATILE));
    expect(new Set(forms).size).toBe(distinct.length);

    // What JSON.stringify drops or rewrites, the policy never sees: those inputs are the same to it.
    expect(canonicalJson({ a: undefined, b: () => 1, c: Symbol('x') }, NOTHING_VOLATILE)).toBe('{}');
    expect(canonicalJson([undefined, NaN, Infinity, -0], NOTHING_VOLATILE)).toBe('[null,null,null,0]');
    expect(canonicalJson({ t: new Date(0) }, NOTHING_VOLATILE)).toBe(JSON.stringify({ t: new Date(0) }));
    expect(() => canonicalJson({ n: 1n }, NOTHING_VOLATILE)).toThrow(TypeError);
  });
});

/** A realistic input built by the real request → input code, with the volatile fields set per request. */
function realInput(opts: {
  requestId: string;
  trace: string;
  seconds: string;
  streamId: string;
  port: number;
  args?: Record<string, unknown>;
  id?: number | string;
  extraHeaders?: Record<string, string>;
}) {
  const req = mcpCheckRequest(toolCall('fetch_url', opts.args ?? { url: 'https://example.com/' }, opts.id ?? 2), {
    headers: {
      'x-request-id': opts.requestId,
      traceparent: `00-${opts.trace}-00f067aa0ba902b7-01`,
      'x-b3-traceid': opts.trace,
      'mcp-session-id': 's-1',
      ...opts.extraHeaders,
    },
  }) as any;
  req.attributes.request.time = { seconds: opts.seconds, nanos: 0 };
  req.attributes.request.http.id = opts.streamId;
  req.attributes.source.address.socket_address.port_value = opts.port;
  return inputOf(req, DEFAULT_LIMITS).input;
}

describe('volatile fields', () => {
  const hex = fc.stringMatching(/^[0-9a-f]{32}$/);
  const volatileArb = fc.record({
    requestId: fc.uuid(),
    trace: hex,
    seconds: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }).map(String),
    streamId: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
    port: fc.integer({ min: 1024, max: 65535 }),
  });

  it('inputs differing only in volatile fields share a key', () => {
    fc.assert(
      fc.property(volatileArb, volatileArb, (v1, v2) => {
        expect(keyJson(realInput(v1), DEFAULTS)).toBe(keyJson(realInput(v2), DEFAULTS));
      }),
      { numRuns: 100 },
    );
  });

  it('the volatile fields really are in the input (they would change the key if not dropped)', () => {
    const a = realInput({ requestId: 'a', trace: '1'.repeat(32), seconds: '1700000000', streamId: '1', port: 40000 });
    const b = realInput({ requestId: 'b', trace: '2'.repeat(32), seconds: '1700000001', streamId: '2', port: 40001 });
    expect(keyJson(a, NOTHING_VOLATILE)).not.toBe(keyJson(b, NOTHING_VOLATILE));
    const text = canonicalJson(a, DEFAULTS);
    for (const dropped of ['x-request-id', 'traceparent', 'x-b3-traceid', '"time"', '"portValue":40000', '"id":"1"'])
      expect(text).not.toContain(dropped);
    for (const kept of ['mcp-session-id', '"portValue":8080', '"address":"10.1.2.3"', 'fetch_url', '"id":2']) expect(text).toContain(kept);
  });

  it('inputs differing in a non-volatile field never share a key', () => {
    const base = { requestId: 'r', trace: '3'.repeat(32), seconds: '1700000000', streamId: '9', port: 50000 };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ args: fc.dictionary(fc.string(), fc.jsonValue()) }),
          fc.record({ id: fc.oneof(fc.integer(), fc.string()) }),
          fc.record({
            extraHeaders: fc.dictionary(
              fc
                .string({ minLength: 1 })
                .map((s) => `x-${s.toLowerCase()}`)
                .filter((h) => !DEFAULT_VOLATILE_HEADERS.includes(h)),
              fc.string(),
              { minKeys: 1 },
            ),
          }),
        ),
        (change) => {
          const changed = realInput({ ...base, ...change });
          const original = realInput(base);
          const same = isDeepStrictEqual(asPolicySees(changed), asPolicySees(original));
          expect(keyJson(changed, DEFAULTS) === keyJson(original, DEFAULTS)).toBe(same);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the CheckRequest attributes are keyed in any map order (Go clients send protobuf maps in random order)', () => {
    // The maps of the wire request as proto-loader decodes them: headers, context extensions, metadata (a Struct,
    // itself a map) and peer labels. Shuffled on the wire, the same request must give the same key.
    const wire = (): any => {
      const req = mcpCheckRequest(toolCall('fetch_url', { url: 'https://example.com/' }, 2), {
        headers: { 'x-request-id': 'r', 'mcp-session-id': 's-1', 'x-tenant': 'a', 'x-team': 'b', accept: 'application/json' },
      }) as any;
      req.attributes.context_extensions = { zone: 'z1', app: 'mcp', env: 'prod' };
      req.attributes.metadata_context = {
        filter_metadata: {
          'envoy.filters.http.jwt_authn': { fields: { sub: { stringValue: 'u' }, aud: { stringValue: 'x' }, tier: { numberValue: 2 } } },
          'istio.authn': { fields: { principal: { stringValue: 'p' } } },
        },
      };
      req.attributes.source.labels = { app: 'agent', version: 'v1', team: 't' };
      return req;
    };
    const shuffleMaps = (req: any, seed: number): any => {
      const a = req.attributes;
      a.request.http.headers = reorder(a.request.http.headers, seed);
      a.context_extensions = reorder(a.context_extensions, seed);
      a.metadata_context.filter_metadata = reorder(a.metadata_context.filter_metadata, seed);
      a.source.labels = reorder(a.source.labels, seed);
      return req;
    };
    const key = (req: any, spec: KeySpec) => keyJson(inputOf(req, DEFAULT_LIMITS).input, spec);
    for (let seed = 1; seed < 6; seed++) {
      expect(key(shuffleMaps(wire(), seed), DEFAULTS)).toBe(key(wire(), DEFAULTS));
      expect(key(shuffleMaps(wire(), seed), NOTHING_VOLATILE)).toBe(key(wire(), NOTHING_VOLATILE));
    }
    // Sorted, not merged: a different header value is still a different key.
    const other = wire();
    other.attributes.request.http.headers['x-tenant'] = 'c';
    expect(key(other, DEFAULTS)).not.toBe(key(wire(), DEFAULTS));
  });

  it("keyJson writes what JSON.stringify writes (outside the attributes), minus the spec's fields; `*` means array elements only", () => {
    const notAttributes = (v: unknown): boolean => v === null || typeof v !== 'object' || Array.isArray(v) || !('attributes' in v);
    fc.assert(
      fc.property(fc.jsonValue().filter(notAttributes), (v) => {
        expect(keyJson(v, NOTHING_VOLATILE)).toBe(JSON.stringify(v) ?? '');
      }),
      { numRuns: 300 },
    );
    const spec = compileKeySpec({
      volatileHeaders: [],
      volatilePaths: [
        ['parsed_body', '*', 'id'],
        ['parsed_body', 'id'],
      ],
    });
    expect(keyJson({ parsed_body: [{ id: 1, m: 'a' }, { id: 2 }] }, spec)).toBe('{"parsed_body":[{"m":"a"},{}]}');
    expect(keyJson({ parsed_body: { id: 1, '*': { id: 5 } } }, spec)).toBe('{"parsed_body":{"*":{"id":5}}}');
    expect(() => keyJson({ n: 1n }, spec)).toThrow(TypeError);
  });

  it('the JSON-RPC id stays in the key unless the body-derived fields are dropped too (the cache does that for parsed bodies)', () => {
    const base = { requestId: 'r', trace: '3'.repeat(32), seconds: '1700000000', streamId: '9', port: 50000 };
    expect(keyJson(realInput({ ...base, id: 1 }), DEFAULTS)).not.toBe(keyJson(realInput({ ...base, id: '1' }), DEFAULTS));
  });

  it('drops volatile entries from a raw header list, in any case, and honours custom lists', () => {
    const withList = (id: string) => ({
      attributes: {
        request: {
          http: {
            headerMap: {
              headers: [
                { key: 'X-Request-Id', value: id },
                { key: 'x-tenant', value: 't1' },
              ],
            },
          },
        },
      },
    });
    expect(canonicalJson(withList('a'), DEFAULTS)).toBe(canonicalJson(withList('b'), DEFAULTS));
    expect(canonicalJson(withList('a'), DEFAULTS)).toContain('x-tenant');

    const custom = compileKeySpec({ volatileHeaders: ['X-Tenant'], volatilePaths: [['mcp', 'id']] });
    const h = (tenant: string, id: number) => ({
      attributes: { request: { http: { headers: { 'x-tenant': tenant, 'x-request-id': 'same' } } } },
      mcp: { id },
    });
    expect(canonicalJson(h('t1', 1), custom)).toBe(canonicalJson(h('t2', 2), custom));
    expect(canonicalJson(h('t1', 1), custom)).toContain('x-request-id');
    expect(DEFAULT_VOLATILE_HEADERS).toContain('traceparent');
    expect(DEFAULT_VOLATILE_PATHS.map((p) => p.join('.'))).toContain('attributes.request.time');
    expect(() => compileKeySpec({ volatilePaths: [[]] })).toThrow(RangeError);
  });
});
