import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildInput, type CheckRequestWire, decodeRequest, type InputOptions } from '../../../src/check/request.js';
import { readCheckRequest } from '../../../src/envoy/check-request-reader.js';
import { loadDescriptors } from '../../../src/envoy/descriptors.js';
import { ProtoDecodeError } from '../../../src/envoy/proto-reader.js';
import { mcpCheckRequest } from '../../helpers/requests.js';
import { DEFAULT_LIMITS } from '../../helpers/pipeline.js';

// The oracle: the CheckRequest as grpc-js + proto-loader decode it today (the same serializer grpc clients use).
const method = loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'] as unknown as {
  Check: { requestSerialize(v: unknown): Buffer; requestDeserialize(b: Buffer): CheckRequestWire };
};
const encode = (req: unknown): Buffer => method.Check.requestSerialize(req);
const oracle = (b: Buffer): CheckRequestWire => method.Check.requestDeserialize(b);

const OPTIONS: InputOptions[] = [{}, { rawBody: 'unparsed' }, { opaEnvoy: true }];

/** Both readings of `bytes` give the same decoded request and the same input, text for text (key order included). */
function expectSameReading(bytes: Buffer): void {
  let expected: CheckRequestWire;
  try {
    expected = oracle(bytes);
  } catch {
    // proto-loader cannot decode it (grpc-js answers INTERNAL): the reader refuses it too.
    expect(() => readCheckRequest(bytes)).toThrow(ProtoDecodeError);
    return;
  }
  for (const opts of OPTIONS) {
    const actual = readCheckRequest(bytes);
    const d1 = decodeRequest(expected);
    const d2 = decodeRequest(actual);
    expect(d2).toEqual(d1);
    const v1 = buildInput(expected, d1, DEFAULT_LIMITS, opts);
    const v2 = buildInput(actual, d2, DEFAULT_LIMITS, opts);
    expect(JSON.stringify(v2.input)).toBe(JSON.stringify(v1.input));
    expect(v2).toEqual(v1);
    expect(actual.attributes?.source?.principal).toBe(expected.attributes?.source?.principal);
    expect(actual.attributes?.request?.http?.headers ?? {}).toEqual(expected.attributes?.request?.http?.headers ?? {});
  }
}

/** Hand-written wire bytes, for what no encoder writes: unknown fields, repeats, explicit defaults, groups. */
const w = {
  varint(n: number | bigint): Buffer {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return Buffer.from(out);
  },
  tag: (field: number, wire: number): Buffer => w.varint(field * 8 + wire),
  len: (field: number, payload: Buffer | string): Buffer => {
    const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return Buffer.concat([w.tag(field, 2), w.varint(p.length), p]);
  },
  num: (field: number, n: number | bigint): Buffer => Buffer.concat([w.tag(field, 0), w.varint(n)]),
  double: (field: number, n: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    return Buffer.concat([w.tag(field, 1), b]);
  },
  cat: (...parts: Buffer[]): Buffer => Buffer.concat(parts),
};
/** CheckRequest { attributes { request { http { … } } } } around raw HttpRequest bytes. */
const aroundHttp = (http: Buffer, extra: Buffer = Buffer.alloc(0)): Buffer => w.len(1, w.cat(w.len(4, w.len(2, http)), extra));
const entry = (k: string, v: Buffer | string): Buffer => w.cat(w.len(1, k), w.len(2, v));

function fixtureBodies(): { body: string; principal?: string; headers?: Record<string, string> }[] {
  const root = join(import.meta.dirname, '../../fixtures');
  const out: { body: string; principal?: string; headers?: Record<string, string> }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|ya?ml)$/.test(name)) {
        let doc: unknown;
        try {
          doc = name.endsWith('.json') ? JSON.parse(readFileSync(p, 'utf8')) : parse(readFileSync(p, 'utf8'));
        } catch {
          continue;
        }
        for (const c of Array.isArray(doc) ? doc : [doc]) {
          if (!c || typeof c !== 'object') continue;
          const d = c as { message?: unknown; body?: unknown; principal?: unknown; headers?: unknown };
          const body = typeof d.body === 'string' ? d.body : d.message !== undefined ? JSON.stringify(d.message) : undefined;
          if (body === undefined) continue;
          out.push({
            body,
            ...(typeof d.principal === 'string' ? { principal: d.principal } : {}),
            ...(d.headers && typeof d.headers === 'object' ? { headers: d.headers as Record<string, string> } : {}),
          });
        }
      }
    }
  };
  walk(root);
  return out;
}

describe('readCheckRequest: the same input as proto-loader + protojson', () => {
  it('every fixture body, as body, raw_body and with header_map', () => {
    const fixtures = fixtureBodies();
    expect(fixtures.length).toBeGreaterThan(50);
    for (const f of fixtures) {
      for (const rawBody of [false, true]) {
        const req = mcpCheckRequest(f.body, { rawBody, ...(f.headers ? { headers: f.headers } : {}) }) as any;
        if (f.principal) req.attributes.source.principal = f.principal;
        expectSameReading(encode(req));
        const http = req.attributes.request.http;
        http.header_map = {
          headers: Object.entries(http.headers).map(([key, value]) =>
            key === 'x-request-id' ? { key, raw_value: Buffer.from(String(value)) } : { key, value },
          ),
        };
        delete http.headers;
        expectSameReading(encode(req));
      }
    }
  });

  it('every AttributeContext field Envoy can send', () => {
    const struct = (o: Record<string, unknown>): unknown => ({
      fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])),
    });
    const toValue = (v: unknown): unknown =>
      v === null
        ? { nullValue: 'NULL_VALUE' }
        : typeof v === 'string'
          ? { stringValue: v }
          : typeof v === 'number'
            ? { numberValue: v }
            : typeof v === 'boolean'
              ? { boolValue: v }
              : Array.isArray(v)
                ? { listValue: { values: v.map(toValue) } }
                : { structValue: struct(v as Record<string, unknown>) };
    const req = {
      attributes: {
        source: {
          address: { socket_address: { protocol: 'UDP', address: '10.0.0.1', port_value: 4711, resolver_name: 'r', ipv4_compat: true } },
          service: 'svc',
          labels: { b: '2', a: '1', '': 'empty' },
          principal: 'spiffe://cluster.local/ns/a/sa/b',
          certificate: '-----BEGIN CERTIFICATE-----',
        },
        destination: { address: { pipe: { path: '/tmp/sock', mode: 384 } } },
        request: {
          time: { seconds: '1735689600', nanos: 123456789 },
          http: {
            id: '1',
            method: 'post',
            headers: { 'x-b': 'b', 'x-a': 'a', ':path': '/mcp?q=1' },
            path: '/mcp%2Fx?q=1&q=2#frag',
            host: 'h',
            scheme: 'https',
            query: 'q=1',
            fragment: 'frag',
            size: '-1',
            protocol: 'HTTP/2',
            body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
          },
        },
        context_extensions: { z: 'last', a: 'first' },
        metadata_context: {
          filter_metadata: { 'envoy.filters.http.jwt_authn': struct({ sub: 'u', n: 1.5, ok: true, nil: null, list: [1, 'a', { x: [] }], o: {} }) },
          typed_filter_metadata: { t: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.from([1, 2, 3]) } },
        },
        route_metadata_context: { filter_metadata: { r: struct({}) } },
        tls_session: { sni: 'mcp.example' },
      },
    };
    expectSameReading(encode(req));
    const internal = { attributes: { source: { address: { envoy_internal_address: { server_listener_name: 'l', endpoint_id: 'e' } } } } };
    expectSameReading(encode(internal));
    const named = {
      attributes: { source: { address: { socket_address: { address: 'a', named_port: 'http' } } }, request: { time: { seconds: '-62135596800' } } },
    };
    expectSameReading(encode(named));
  });

  it('wire forms no encoder writes: unknown fields, repeats, explicit defaults, groups, empty messages', () => {
    const cases: Buffer[] = [
      Buffer.alloc(0),
      w.len(1, Buffer.alloc(0)),
      // unknown fields of every wire type at every level, and an unknown group
      aroundHttp(
        w.cat(
          w.len(2, 'POST'),
          w.num(99, 7),
          w.double(98, 1),
          w.len(97, 'x'),
          w.tag(96, 5),
          Buffer.alloc(4),
          w.tag(95, 3),
          w.num(1, 1),
          w.tag(95, 4),
        ),
        w.num(50, 1),
      ),
      w.cat(w.num(2, 1), aroundHttp(w.len(2, 'POST')), w.len(7, 'unknown')),
      // repeated scalars: the last wins; repeated messages: the last replaces
      aroundHttp(w.cat(w.len(2, 'GET'), w.len(2, 'POST'), w.len(4, '/a'), w.len(4, '/b'), w.num(9, 1), w.num(9, 2))),
      w.cat(w.len(1, w.len(1, w.len(4, 'p1'))), w.len(1, w.len(2, w.len(5, 'c')))),
      w.cat(w.len(1, w.cat(w.len(1, w.len(4, 'p1')), w.len(1, w.len(2, 'svc'))))),
      // explicit defaults are present fields
      aroundHttp(w.cat(w.len(1, ''), w.len(2, 'POST'), w.num(9, 0), w.len(11, ''), w.len(12, Buffer.alloc(0)))),
      w.len(1, w.cat(w.len(1, w.len(1, w.len(1, w.cat(w.num(1, 0), w.num(3, 0), w.num(6, 0))))))),
      w.len(1, w.len(1, w.len(1, w.len(1, w.num(1, 7))))), // an enum value the schema does not name
      // map entries: a missing key or value, a repeated key (the last wins), __proto__
      aroundHttp(w.cat(w.len(2, 'POST'), w.len(3, w.len(2, 'v')), w.len(3, w.len(1, 'k')), w.len(3, entry('a', '1')), w.len(3, entry('a', '2')))),
      aroundHttp(w.cat(w.len(2, 'POST'), w.len(3, entry('__proto__', 'x')), w.len(3, entry('constructor', 'y')))),
      w.len(1, w.len(10, entry('__proto__', 'x'))),
      // header_map: repeated names, raw values, an empty entry
      aroundHttp(
        w.cat(
          w.len(2, 'POST'),
          w.len(
            13,
            w.cat(
              w.len(1, entry('X-A', '1')),
              w.len(1, entry('x-a', '2')),
              w.len(1, w.cat(w.len(1, 'r'), w.len(3, Buffer.from([0xff, 0x41])))),
              w.len(1, Buffer.alloc(0)),
            ),
          ),
        ),
      ),
      aroundHttp(w.cat(w.len(2, 'POST'), w.len(13, Buffer.alloc(0)))),
      // invalid UTF-8 in strings
      aroundHttp(w.cat(w.len(2, Buffer.from([0x50, 0xc3, 0x28])), w.len(11, Buffer.from([0xed, 0xa0, 0x80])))),
      // timestamps: negative nanos, only nanos, nanos precision
      w.len(1, w.len(4, w.len(1, w.cat(w.num(1, 1), w.num(2, -5))))),
      w.len(1, w.len(4, w.len(1, w.num(2, 1_000_000)))),
      w.len(1, w.len(4, w.len(1, Buffer.alloc(0)))),
      // Struct values: repeated members of the kind oneof, an empty value, a list of empties
      w.len(1, w.len(11, w.len(1, entry('ns', w.len(1, entry('k', w.cat(w.len(3, 's'), w.double(2, 1), w.num(4, 1)))))))),
      w.len(1, w.len(11, w.len(1, entry('ns', w.len(1, entry('k', w.cat(w.num(4, 0), w.double(2, Number.NaN)))))))),
      w.len(1, w.len(11, w.len(1, entry('ns', w.len(1, entry('k', Buffer.alloc(0))))))),
      w.len(1, w.len(11, w.len(1, entry('ns', w.len(1, entry('k', w.len(6, w.cat(w.len(1, Buffer.alloc(0)), w.len(1, w.num(1, 0)))))))))),
      w.len(1, w.len(11, w.len(2, entry('ns', Buffer.alloc(0))))),
    ];
    for (const c of cases) expectSameReading(c);
  });

  it('malformed bytes are refused, never misread', () => {
    const good = encode(mcpCheckRequest({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    for (let cut = 1; cut < good.length; cut += 7) expect(() => readCheckRequest(good.subarray(0, cut))).toThrow(ProtoDecodeError);
    expect(() => readCheckRequest(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(ProtoDecodeError);
    expect(() => readCheckRequest(Buffer.from([0x00]))).toThrow(ProtoDecodeError); // field number 0
    expect(() => readCheckRequest(Buffer.from([0x0f]))).toThrow(ProtoDecodeError); // wire type 7
    expect(() => readCheckRequest(Buffer.from([0x08, 0x01]))).toThrow(ProtoDecodeError); // attributes as a varint
    expect(() => readCheckRequest(Buffer.from([0x1b, 0x08, 0x01]))).toThrow(ProtoDecodeError); // an unterminated group
    expect(() => readCheckRequest(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(ProtoDecodeError);
    let deep = w.len(1, 's');
    for (let i = 0; i < 120; i++) deep = w.len(1, entry('k', w.len(5, deep)));
    expect(() => readCheckRequest(w.len(1, w.len(11, w.len(1, entry('ns', deep)))))).toThrow(ProtoDecodeError);
  });

  it('random CheckRequests (fast-check)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('', 'POST', 'GET', 'application/json'),
    );
    const strMap = fc.dictionary(
      fc.oneof(text, fc.constantFrom('content-type', 'mcp-session-id', 'content-length', 'x-envoy-auth-partial-body')),
      text,
      { maxKeys: 5 },
    );
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant({ nullValue: 'NULL_VALUE' }),
        text.map((s) => ({ stringValue: s })),
        fc.double().map((n) => ({ numberValue: n })),
        fc.boolean().map((b) => ({ boolValue: b })),
        tie('struct').map((s) => ({ structValue: s })),
        fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ listValue: { values } })),
      ),
      struct: fc.dictionary(text, tie('value'), { maxKeys: 3 }).map((fields) => ({ fields })),
    })).struct;
    const body = fc.oneof(
      text,
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"u":"http://a"}}}', '[]', '{'),
    );
    const http = fc.record(
      {
        id: text,
        method: fc.constantFrom('POST', 'GET', 'post', ''),
        headers: strMap,
        header_map: fc.record({
          headers: fc.array(
            fc.record({ key: text, value: text, raw_value: fc.uint8Array({ maxLength: 6 }).map(Buffer.from) }, { requiredKeys: [] }),
            { maxLength: 4 },
          ),
        }),
        path: fc.oneof(text, fc.constantFrom('/mcp', '/mcp?a=1&a=2', '/%zz', '//x/y#f')),
        host: text,
        scheme: text,
        query: text,
        fragment: text,
        size: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
        protocol: text,
        body,
        raw_body: body.map((b) => Buffer.from(b)),
      },
      { requiredKeys: [] },
    );
    const peer = fc.record(
      {
        address: fc.oneof(
          fc.record({
            socket_address: fc.record(
              { protocol: fc.constantFrom('TCP', 'UDP'), address: text, port_value: fc.nat(65535), resolver_name: text, ipv4_compat: fc.boolean() },
              { requiredKeys: [] },
            ),
          }),
          fc.record({ pipe: fc.record({ path: text, mode: fc.nat(511) }, { requiredKeys: [] }) }),
          fc.record({ envoy_internal_address: fc.record({ server_listener_name: text, endpoint_id: text }, { requiredKeys: [] }) }),
        ),
        service: text,
        labels: strMap,
        principal: text,
        certificate: text,
      },
      { requiredKeys: [] },
    );
    const metadata = fc.record(
      {
        filter_metadata: fc.dictionary(text, json, { maxKeys: 2 }),
        typed_filter_metadata: fc.dictionary(
          text,
          fc.record({ type_url: text, value: fc.uint8Array({ maxLength: 6 }).map(Buffer.from) }, { requiredKeys: [] }),
          { maxKeys: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    const attributes = fc.record(
      {
        source: peer,
        destination: peer,
        request: fc.record(
          {
            time: fc.record(
              { seconds: fc.bigInt({ min: -62135596800n, max: 253402300799n }).map(String), nanos: fc.nat(999_999_999) },
              { requiredKeys: [] },
            ),
            http,
          },
          { requiredKeys: [] },
        ),
        context_extensions: strMap,
        metadata_context: metadata,
        route_metadata_context: metadata,
        tls_session: fc.record({ sni: text }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(attributes, (a) => {
        expectSameReading(encode({ attributes: a }));
      }),
      { numRuns: 400 },
    );
  });
});
