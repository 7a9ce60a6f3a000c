// A request's fingerprint (src/envoy/request-fingerprint.ts) may stand for its cache key only when it is exact:
// two requests with equal fingerprints, the first one of a kind the check stores (pipeline.ts storeFingerprint),
// have equal cache keys and the second is read alike; requests that differ only in what the key leaves out share
// a fingerprint (else it never hits). The oracle is the cache key itself, over inputs built by the real reader.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecisionCache } from '../../../src/cache/decision-cache.js';
import { DEFAULT_VOLATILE_HEADERS } from '../../../src/cache/volatile-fields.js';
import type { FingerprintSpec } from '../../../src/check/fingerprint.js';
import { buildInput, decodeRequest, type InputOptions } from '../../../src/check/request.js';
import { readCheckRequest } from '../../../src/envoy/check-request-reader.js';
import { loadDescriptors } from '../../../src/envoy/descriptors.js';
import { createFingerprinter, idSpan } from '../../../src/envoy/request-fingerprint.js';
import { DEFAULT_LIMITS } from '../../helpers/pipeline.js';

const serializer = loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'] as unknown as {
  Check: { requestSerialize(v: unknown): Buffer };
};
const encode = (req: unknown): Buffer => serializer.Check.requestSerialize(req);

const SPEC: FingerprintSpec = { volatileHeaders: new Set(DEFAULT_VOLATILE_HEADERS), requestTime: true, httpId: true, sourcePort: true };
const fingerprint = createFingerprinter(SPEC);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ids = fc.constantFrom<Json>(1, 7, 42, 123456789012345, -3, 0, 'a', 'req-1', 'x y', '', 1.5, 1e3, 'é', 'a\\"b', null, true);
const message = fc.record({
  jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '1.0'),
  id: ids,
  method: fc.constantFrom('tools/call', 'tools/list', 'ping'),
  params: fc.record({
    name: fc.constantFrom('fetch_url', 'http_proxy'),
    arguments: fc.dictionary(
      fc.constantFrom('url', 'amount', 'body', 'id'),
      fc.constantFrom<Json>('https://httpbin.org/get', 'http://169.254.169.254/', 50000, '{"id":1}', null),
      { maxKeys: 3 },
    ),
  }),
});

/** A body spelled several ways: compact, with whitespace, the id first or last, with an escaped key, a batch, not JSON. */
const body = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  message.map((m) => JSON.stringify(m, null, 1)),
  message.map(({ id, ...m }) => JSON.stringify({ ...m, id })),
  message.map(({ id, ...m }) => JSON.stringify({ id, ...m }).replace('"id"', '"\\u0069d"')),
  fc.tuple(message, message).map((b) => JSON.stringify(b)),
  fc.constantFrom('', 'a=1', '{"id":', '{"id":1', '{"jsonrpc":"2.0","id":1,"method":"ping"} x', '{"jsonrpc":"2.0","id":01,"method":"ping"}'),
);

interface Req {
  headers: Record<string, string>;
  headerMap: boolean;
  rawBody: boolean;
  body: string;
  path: string;
  principal: string | undefined;
  port: number;
  time: string;
  nanos: number;
  httpId: string;
}

const request: fc.Arbitrary<Req> = fc.record({
  headers: fc.dictionary(
    fc.constantFrom('x-request-id', 'X-Request-Id', 'traceparent', 'mcp-session-id', 'authorization', 'x-tenant', 'content-type', 'content-length'),
    fc.constantFrom('a', 'b', 'application/json', '12'),
    { maxKeys: 4 },
  ),
  headerMap: fc.boolean(),
  rawBody: fc.boolean(),
  body,
  path: fc.constantFrom('/mcp', '/mcp?t=a'),
  principal: fc.constantFrom<string | undefined>('spiffe://cluster.local/ns/a/sa/a', undefined),
  port: fc.constantFrom(40000, 40001),
  time: fc.constantFrom('1735689600', '1735689607'),
  nanos: fc.constantFrom(0, 5),
  httpId: fc.constantFrom('1', '2'),
});

function wire(r: Req): unknown {
  const headers = { 'content-type': 'application/json', ...r.headers };
  const http: Record<string, unknown> = { id: r.httpId, method: 'POST', path: r.path, host: 'mcp', protocol: 'HTTP/1.1' };
  if (r.headerMap) http.header_map = { headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) };
  else http.headers = headers;
  if (r.rawBody) http.raw_body = Buffer.from(r.body);
  else http.body = r.body;
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.0.0.1', port_value: r.port } }, ...(r.principal ? { principal: r.principal } : {}) },
      request: { time: { seconds: r.time, nanos: r.nanos }, http },
    },
  };
}

/** The same request, differing only in what the key leaves out (an id of the same spelled length, when it has one). */
function twin(r: Req, id: Json): Req {
  let b = r.body;
  try {
    const v = JSON.parse(b) as Json;
    const old = v && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v.id) : undefined;
    if (old !== undefined && JSON.stringify(id).length === old.length) b = b.replace(`"id":${old}`, `"id":${JSON.stringify(id)}`);
  } catch {
    // not JSON: the same bytes
  }
  // The `headers` map in another order (encoders write map entries in any order); `header_map` is a list.
  const names = r.headerMap ? Object.keys(r.headers) : Object.keys(r.headers).reverse();
  const headers: Record<string, string> = {};
  for (const k of names) headers[k] = SPEC.volatileHeaders.has(k.toLowerCase()) ? `${r.headers[k]}z` : r.headers[k]!;
  return { ...r, body: b, headers, port: r.port + 1, time: String(Number(r.time) + 1), nanos: r.nanos + 1, httpId: `${r.httpId}9` };
}

const cache = createDecisionCache<object>({ maxEntries: 10, maxBytes: 1 << 20, ttlMs: 60_000, sizeOf: () => 1 });
const policy = { revision: 'r', sha256: 's' };
const OPTIONS: InputOptions[] = [{}, { rawBody: 'unparsed' }, { opaEnvoy: true }];

function inputOf(bytes: Buffer, opts: InputOptions) {
  const req = readCheckRequest(bytes);
  return buildInput(req, decodeRequest(req), DEFAULT_LIMITS, opts).input;
}

/** What pipeline.ts storeFingerprint asks before it keeps a fingerprint for a request. */
function storable(input: ReturnType<typeof inputOf>, id: unknown): boolean {
  const mcp = input.mcp;
  if (!mcp || mcp.error || mcp.is_batch) return false;
  if (id === undefined) return true;
  const b = input.parsed_body as { id?: unknown } | null | undefined;
  return !input.truncated_body && typeof b === 'object' && b !== null && b.id === id && mcp.id === id;
}

describe('request fingerprints', () => {
  it('equal fingerprints of a stored kind mean equal cache keys; twins share one', () => {
    let equal = 0;
    let idsOut = 0;
    let twins = 0;
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 5 }), ids, fc.nat(2), (base, id, o) => {
        const opts = OPTIONS[o]!;
        const seen = new Map<string, { key: string; id: unknown; bytes: Buffer }>();
        for (const r of base.flatMap((b) => [b, twin(b, id)])) {
          const bytes = encode(wire(r));
          const fp = fingerprint(bytes)!;
          expect(fp).toBeDefined();
          const input = inputOf(bytes, opts);
          const key = cache.key(policy, input as never);
          const before = seen.get(fp.key);
          if (before === undefined) {
            if (storable(input, fp.id)) seen.set(fp.key, { key, id: fp.id, bytes });
            continue;
          }
          equal++;
          if (fp.id !== undefined) idsOut++;
          expect(key).toBe(before.key);
          // The record's id is this request's: the value the scan found, or (left in the key) the same as before.
          expect(input.mcp?.id).toBe(fp.id ?? (before.id === undefined ? inputOf(before.bytes, opts).mcp?.id : before.id));
        }
        // A twin of a stored request shares its fingerprint: with the same body, or another plain id of its length.
        for (const b of base) {
          const a = encode(wire(b));
          const fa = fingerprint(a)!;
          if (!storable(inputOf(a, opts), fa.id)) continue;
          const t = twin(b, id);
          const shares = fa.id === undefined ? t.body === b.body : plainId(id) && JSON.stringify(id).length === JSON.stringify(fa.id).length;
          if (shares) {
            expect(fingerprint(encode(wire(t)))!.key).toBe(fa.key);
            twins++;
          }
        }
      }),
      { numRuns: 1500, seed: 20261208 },
    );
    // Not vacuous: twins did share fingerprints, with the id left out of many of them.
    expect(equal).toBeGreaterThan(300);
    expect(idsOut).toBeGreaterThan(100);
    expect(twins).toBeGreaterThan(300);
  });

  it('bytes changed where the fingerprint looks away are read as the stored request was, or refused by both', () => {
    const base = encode(
      wire({
        headers: { 'x-request-id': 'abc', traceparent: 'tp' },
        headerMap: false,
        rawBody: false,
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
        path: '/mcp',
        principal: undefined,
        port: 1,
        time: '1735689600',
        nanos: 3,
        httpId: '5',
      }),
    );
    const fb = fingerprint(base)!;
    let same = 0;
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const b = Buffer.from(base);
        b[at] = byte;
        const f = fingerprint(b);
        if (f?.key !== fb.key) return;
        same++;
        expect(() => readCheckRequest(b)).not.toThrow();
        expect(cache.key(policy, inputOf(b, {}) as never)).toBe(cache.key(policy, inputOf(base, {}) as never));
      }),
      { numRuns: 5000, seed: 7 },
    );
    expect(same).toBeGreaterThan(10);
  });

  it('takes out only a plain id value of a single message', () => {
    const span = (s: string) => {
      const b = Buffer.from(s);
      const r = idSpan(b, 0, b.length);
      return r && { text: s.slice(r.start, r.end), value: r.value };
    };
    expect(span('{"jsonrpc":"2.0","id":12,"method":"ping"}')).toEqual({ text: '12', value: 12 });
    expect(span(' { "method" : "x" , "id" : "a-b" }')).toEqual({ text: '"a-b"', value: 'a-b' });
    expect(span('{"params":{"id":1},"x":["}",{"id":2}],"id":3}')).toEqual({ text: '3', value: 3 });
    for (const no of [
      '{"id":1.0}',
      '{"id":1e2}',
      '{"id":-0}',
      '{"id":01}',
      '{"id":"a\\"b"}',
      '{"id":"é"}',
      '{"id":null}',
      '{"id":1234567890123456}',
      `{"id":"${'a'.repeat(129)}"}`,
      '{"\\u0069d":1}',
      '[{"id":1}]',
      '{"id"',
      '{"id":',
      '{"a":"}',
    ])
      expect(span(no)).toBeUndefined();
    expect(span(`{"id":"${'a'.repeat(128)}"}`)?.value).toBe('a'.repeat(128));
    // Nothing past the body's end is read.
    const b = Buffer.from('{"id":12}');
    expect(idSpan(b, 0, 7)?.value).toBe(1);
    expect(idSpan(b, 0, 6)).toBeUndefined();
  });

  it('leaves the volatile headers out and hands them back, as the input joins them', () => {
    const r: Req = {
      headers: { 'x-request-id': 'r1', traceparent: 't1', 'x-tenant': 'a' },
      headerMap: true,
      rawBody: true,
      body: '{}',
      path: '/mcp',
      principal: undefined,
      port: 1,
      time: '1',
      nanos: 0,
      httpId: '1',
    };
    const fp = fingerprint(encode(wire(r)))!;
    expect(fp.headers).toEqual({ 'x-request-id': 'r1', traceparent: 't1' });
    expect(fp.key).not.toContain('r1');
    expect(fp.key).toContain('x-tenant');
    const m = fingerprint(encode(wire({ ...r, headerMap: false })))!;
    expect(m.headers).toEqual({ 'x-request-id': 'r1', traceparent: 't1' });
  });

  it('matches a name that lower-cases to a volatile one, as the cache key does, whatever its spelling', () => {
    // The one character outside ASCII that lower-cases into ASCII (VolatileNames relies on it).
    const intoAscii: string[] = [];
    for (let c = 0x80; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (/^[\x00-\x7f]*$/.test(String.fromCodePoint(c).toLowerCase())) intoAscii.push(c.toString(16));
    }
    expect(intoAscii).toEqual(['212a']);
    const spec: FingerprintSpec = { ...SPEC, volatileHeaders: new Set(['x-tracking', 'x-request-id']) };
    const fpOf = createFingerprinter(spec);
    const r = (name: string): Req => ({
      headers: { [name]: 'v' },
      headerMap: false,
      rawBody: false,
      body: '{}',
      path: '/',
      principal: undefined,
      port: 1,
      time: '1',
      nanos: 0,
      httpId: '1',
    });
    for (const name of ['x-tracking', 'X-Tracking', 'x-trac\u212Aing', 'X-REQUEST-ID'])
      expect(fpOf(encode(wire(r(name))))!.headers).toEqual({ [name]: 'v' });
    for (const name of ['x-trackinh', 'x-trac\u212Ain', 'x-request-i\u0307d']) expect(fpOf(encode(wire(r(name))))!.headers).toEqual({});
  });

  it('reads the headers map in any order, unless its names are not distinct ASCII', () => {
    const entry = (k: string, v: string) =>
      Buffer.concat([Buffer.from([0x0a, k.length]), Buffer.from(k), Buffer.from([0x12, v.length]), Buffer.from(v)]);
    const len = (field: number, payload: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, payload.length]), payload]);
    const request = (entries: Buffer[]) =>
      len(1, len(4, len(2, Buffer.concat([len(2, Buffer.from('POST')), ...entries.map((e) => len(3, e)), len(4, Buffer.from('/mcp'))]))));
    const a = entry('x-a', '1');
    const b = entry('x-b', '2');
    const rid = entry('x-request-id', 'r');
    expect(fingerprint(request([a, rid, b]))!.key).toBe(fingerprint(request([b, a]))!.key);
    expect(fingerprint(request([a, b]))!.key).not.toBe(fingerprint(request([a, entry('x-b', '3')]))!.key);
    // Two entries with one name: the later wins in the reader, so their order stays in the key.
    const b2 = entry('x-b', '3');
    expect(fingerprint(request([b, b2]))!.key).not.toBe(fingerprint(request([b2, b]))!.key);
    expect(readCheckRequest(request([b, b2])).attributes?.request?.http?.headers).toEqual({ 'x-b': '3' });
    // Names outside ASCII (two may decode alike): order kept.
    const u1 = Buffer.concat([Buffer.from([0x0a, 2, 0xc3, 0xa9, 0x12, 1]), Buffer.from('1')]);
    expect(fingerprint(request([u1, a]))!.key).not.toBe(fingerprint(request([a, u1]))!.key);
  });

  it('is undefined for bytes that are not a CheckRequest, and the reader refuses them too', () => {
    const good = encode(
      wire({ headers: {}, headerMap: false, rawBody: false, body: '{}', path: '/', principal: undefined, port: 1, time: '1', nanos: 0, httpId: '1' }),
    );
    for (const bad of [Buffer.from([0x0a, 0x05, 0x01]), Buffer.from([0x08]), good.subarray(0, good.length - 1)]) {
      expect(fingerprint(bad)).toBeUndefined();
      expect(() => readCheckRequest(bad)).toThrow();
    }
  });
});

const plainId = (id: Json): boolean =>
  (typeof id === 'number' && Number.isInteger(id) && !Object.is(id, -0) && Math.abs(id) < 1e15) ||
  (typeof id === 'string' && /^[\x20-\x7e]*$/.test(id) && !/["\\]/.test(id) && id.length <= 128);
