import { ATTRIBUTES_JSON, type CheckRequestWire } from '../check/request.js';
import { timestampToJson } from '../check/protojson.js';
import type { Json, JsonObject } from '../check/types.js';
import { ProtoDecodeError, ProtoReader, RECURSION_LIMIT, WIRE_LEN, WIRE_VARINT } from './proto-reader.js';

type Http = NonNullable<NonNullable<NonNullable<CheckRequestWire['attributes']>['request']>['http']>;
type WireHeaderValue = NonNullable<NonNullable<Http['header_map']>['headers']>[number];

/**
 * CheckRequest bytes → what the check reads, in one pass, with no intermediate protobuf objects: the HTTP request
 * fields the pipeline uses (method, path, headers, header_map, body, raw_body; source principal) in proto-loader's
 * shape, and `input.attributes` already in the protojson shape check/protojson.ts produces from proto-loader's
 * objects (lowerCamelCase names, fields in field-number order, map keys sorted, bytes base64, int64 as strings,
 * Timestamp as RFC 3339, Struct as JSON). Unknown fields are skipped; a repeated singular field keeps its last
 * value (an embedded message is replaced, not merged, as protobufjs decodes it). Malformed bytes throw
 * ProtoDecodeError. test/unit/envoy/check-request-reader.test.ts holds both readings equal.
 */
export function readCheckRequest(buf: Buffer): CheckRequestWire {
  const r = new ProtoReader(buf);
  let attributes: [number, number] | undefined;
  while (!r.done()) {
    const t = r.tag();
    if (t >>> 3 === 1) {
      r.expect(t & 7, WIRE_LEN);
      attributes = r.span();
    } else r.skip(t & 7);
  }
  if (!attributes) return {};
  const view: { source?: { principal?: string }; request?: { http?: Http } } = {};
  const json = attributeContext(new ProtoReader(buf, attributes[0], attributes[1]), view);
  const req: CheckRequestWire = { attributes: view };
  // Handed out once: buildInput mutates the attributes it is given, as it does attributesToJson's.
  let pending: JsonObject | undefined = json;
  req[ATTRIBUTES_JSON] = () => {
    const out = pending ?? (readCheckRequest(buf)[ATTRIBUTES_JSON]?.() as JsonObject);
    pending = undefined;
    return out;
  };
  return req;
}

/** Fields of one message, keyed by field number while reading, written out in field-number order. */
type Slots = (Json | undefined)[];

function emit(slots: Slots, names: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (let i = 1; i < names.length; i++) {
    const v = slots[i];
    if (v !== undefined) out[names[i]!] = v;
  }
  return out;
}

/**
 * A map field written as check/protojson.ts writes proto-loader's: keys sorted, later entries winning, each set by
 * plain assignment (so `__proto__` is dropped there, as it is today).
 */
function sortedMap(map: Record<string, Json>): JsonObject | undefined {
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  keys.sort();
  const out: JsonObject = {};
  for (const k of keys) out[k] = map[k]!;
  return out;
}

const base64 = (b: Buffer): string => b.toString('base64');

function depthCheck(depth: number): void {
  if (depth > RECURSION_LIMIT) throw new ProtoDecodeError('messages nested too deeply');
}

// AttributeContext: source 1, destination 2, request 4, context_extensions 10, metadata_context 11,
// tls_session 12, route_metadata_context 13.
const ATTRIBUTE_CONTEXT = [
  '',
  'source',
  'destination',
  '',
  'request',
  '',
  '',
  '',
  '',
  '',
  'contextExtensions',
  'metadataContext',
  'tlsSession',
  'routeMetadataContext',
];

function attributeContext(r: ProtoReader, view: { source?: { principal?: string }; request?: { http?: Http } }): JsonObject {
  const slots: Slots = [];
  let extensions: Record<string, Json> | undefined;
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    switch (f) {
      case 1:
      case 2: {
        r.expect(t & 7, WIRE_LEN);
        const principal: { value?: string } = {};
        slots[f] = peer(r.sub(), principal);
        if (f === 1) view.source = principal.value !== undefined ? { principal: principal.value } : {};
        break;
      }
      case 4: {
        r.expect(t & 7, WIRE_LEN);
        const request: { http?: Http } = {};
        slots[4] = requestMessage(r.sub(), request);
        view.request = request;
        break;
      }
      case 10:
        r.expect(t & 7, WIRE_LEN);
        stringMapEntry(r.sub(), (extensions ??= {}));
        break;
      case 11:
      case 13:
        r.expect(t & 7, WIRE_LEN);
        slots[f] = metadata(r.sub());
        break;
      case 12: {
        r.expect(t & 7, WIRE_LEN);
        const s = r.sub();
        const tls: Slots = [];
        while (!s.done()) {
          const st = s.tag();
          if (st >>> 3 === 1) {
            s.expect(st & 7, WIRE_LEN);
            tls[1] = s.string();
          } else s.skip(st & 7);
        }
        slots[12] = emit(tls, ['', 'sni']);
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  if (extensions) slots[10] = sortedMap(extensions);
  return emit(slots, ATTRIBUTE_CONTEXT);
}

const PEER = ['', 'address', 'service', 'labels', 'principal', 'certificate'];

function peer(r: ProtoReader, principal: { value?: string }): JsonObject {
  const slots: Slots = [];
  let labels: Record<string, Json> | undefined;
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    switch (f) {
      case 1:
        r.expect(t & 7, WIRE_LEN);
        slots[1] = address(r.sub());
        break;
      case 2:
      case 5:
        r.expect(t & 7, WIRE_LEN);
        slots[f] = r.string();
        break;
      case 3:
        r.expect(t & 7, WIRE_LEN);
        stringMapEntry(r.sub(), (labels ??= {}));
        break;
      case 4:
        r.expect(t & 7, WIRE_LEN);
        principal.value = r.string();
        slots[4] = principal.value;
        break;
      default:
        r.skip(t & 7);
    }
  }
  if (labels) slots[3] = sortedMap(labels);
  return emit(slots, PEER);
}

const ADDRESS = ['', 'socketAddress', 'pipe', 'envoyInternalAddress'];
const SOCKET_ADDRESS = ['', 'protocol', 'address', 'portValue', 'namedPort', 'resolverName', 'ipv4Compat'];
const PROTOCOL: readonly string[] = ['TCP', 'UDP'];
const PIPE = ['', 'path', 'mode'];
const INTERNAL_ADDRESS = ['', 'serverListenerName', 'endpointId'];

function address(r: ProtoReader): JsonObject {
  const slots: Slots = [];
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f < 1 || f > 3) {
      r.skip(t & 7);
      continue;
    }
    r.expect(t & 7, WIRE_LEN);
    const s = r.sub();
    const inner: Slots = [];
    while (!s.done()) {
      const st = s.tag();
      const sf = st >>> 3;
      const kind = f === 1 ? socketField(sf) : f === 2 ? (sf === 1 ? 's' : sf === 2 ? 'u' : '') : sf === 1 || sf === 2 ? 's' : '';
      if (kind === '') s.skip(st & 7);
      else if (kind === 's') {
        s.expect(st & 7, WIRE_LEN);
        inner[sf] = s.string();
      } else {
        s.expect(st & 7, WIRE_VARINT);
        if (kind === 'u') inner[sf] = s.uint32();
        else if (kind === 'b') inner[sf] = s.bool();
        else {
          const n = s.int32();
          inner[sf] = PROTOCOL[n] ?? n;
        }
      }
    }
    slots[f] = emit(inner, f === 1 ? SOCKET_ADDRESS : f === 2 ? PIPE : INTERNAL_ADDRESS);
  }
  return emit(slots, ADDRESS);
}

/** SocketAddress field kinds: e(num) protocol, s(tring) address/named_port/resolver_name, u(int32) port, b(ool). */
function socketField(f: number): '' | 's' | 'u' | 'b' | 'e' {
  switch (f) {
    case 1:
      return 'e';
    case 2:
    case 4:
    case 5:
      return 's';
    case 3:
      return 'u';
    case 6:
      return 'b';
    default:
      return '';
  }
}

function requestMessage(r: ProtoReader, view: { http?: Http }): JsonObject {
  const slots: Slots = [];
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1) {
      r.expect(t & 7, WIRE_LEN);
      slots[1] = timestamp(r.sub());
    } else if (f === 2) {
      r.expect(t & 7, WIRE_LEN);
      const http: Http = {};
      slots[2] = httpRequest(r.sub(), http);
      view.http = http;
    } else r.skip(t & 7);
  }
  return emit(slots, ['', 'time', 'http']);
}

function timestamp(r: ProtoReader): Json {
  return timestampToJson(readTimestamp(r));
}

/**
 * google.protobuf.Timestamp's fields. Its RFC 3339 text (timestampToJson) exists only for a time Date can hold:
 * one beyond ±8.64e15 ms makes the reading throw (representable says which; request-fingerprint.ts checks a time
 * it leaves out with both).
 */
export function readTimestamp(r: ProtoReader): { seconds?: string; nanos?: number } {
  const ts: { seconds?: string; nanos?: number } = {};
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1) {
      r.expect(t & 7, WIRE_VARINT);
      ts.seconds = r.int64String();
    } else if (f === 2) {
      r.expect(t & 7, WIRE_VARINT);
      ts.nanos = r.int32();
    } else r.skip(t & 7);
  }
  return ts;
}

/** Whether timestampToJson can write this time (Date's range: ±8.64e15 ms). */
export function representable(ts: { seconds?: string }): boolean {
  return Math.abs(Number(ts.seconds ?? 0) * 1000) <= 8.64e15;
}

const HTTP_REQUEST = [
  '',
  'id',
  'method',
  'headers',
  'path',
  'host',
  'scheme',
  'query',
  'fragment',
  'size',
  'protocol',
  'body',
  'rawBody',
  'headerMap',
];

function httpRequest(r: ProtoReader, view: Http): JsonObject {
  const slots: Slots = [];
  let headers: Record<string, string> | undefined;
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    switch (f) {
      case 1:
      case 2:
      case 4:
      case 5:
      case 6:
      case 7:
      case 8:
      case 10:
      case 11: {
        r.expect(t & 7, WIRE_LEN);
        const s = r.string();
        slots[f] = s;
        if (f === 2) view.method = s;
        else if (f === 4) view.path = s;
        else if (f === 11) view.body = s;
        break;
      }
      case 3:
        r.expect(t & 7, WIRE_LEN);
        stringMapEntry(r.sub(), (headers ??= {}));
        break;
      case 9:
        r.expect(t & 7, WIRE_VARINT);
        slots[9] = r.int64String();
        break;
      case 12: {
        r.expect(t & 7, WIRE_LEN);
        const b = r.bytes();
        slots[12] = base64(b);
        view.raw_body = b;
        break;
      }
      case 13: {
        r.expect(t & 7, WIRE_LEN);
        const list: WireHeaderValue[] = [];
        slots[13] = headerMap(r.sub(), list);
        view.header_map = list.length > 0 ? { headers: list } : {};
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  if (headers) {
    const sorted = sortedMap(headers);
    if (sorted) {
      slots[3] = sorted;
      view.headers = headers;
    }
  }
  return emit(slots, HTTP_REQUEST);
}

function headerMap(r: ProtoReader, list: WireHeaderValue[]): JsonObject {
  const json: Json[] = [];
  while (!r.done()) {
    const t = r.tag();
    if (t >>> 3 !== 1) {
      r.skip(t & 7);
      continue;
    }
    r.expect(t & 7, WIRE_LEN);
    const s = r.sub();
    const slots: Slots = [];
    const wire: WireHeaderValue = {};
    while (!s.done()) {
      const st = s.tag();
      const sf = st >>> 3;
      if (sf === 1 || sf === 2) {
        s.expect(st & 7, WIRE_LEN);
        const v = s.string();
        slots[sf] = v;
        if (sf === 1) wire.key = v;
        else wire.value = v;
      } else if (sf === 3) {
        s.expect(st & 7, WIRE_LEN);
        const b = s.bytes();
        slots[3] = base64(b);
        wire.raw_value = b;
      } else s.skip(st & 7);
    }
    json.push(emit(slots, ['', 'key', 'value', 'rawValue']));
    list.push(wire);
  }
  return json.length > 0 ? { headers: json } : {};
}

/** One entry of a map<string, string>: key 1, value 2 (missing ones are empty strings). */
function stringMapEntry(r: ProtoReader, into: Record<string, Json>): void {
  let key = '';
  let value = '';
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1 || f === 2) {
      r.expect(t & 7, WIRE_LEN);
      if (f === 1) key = r.string();
      else value = r.string();
    } else r.skip(t & 7);
  }
  setEntry(into, key, value);
}

/**
 * Store a map entry as protobufjs does: `__proto__` becomes an own property like any other key (plain assignment
 * would set the prototype instead).
 */
function setEntry(into: Record<string, Json>, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

/** One entry of a map<string, Message>: key 1, value 2; a missing value is refused (proto-loader cannot convert it). */
function messageMapEntry<T extends Json>(r: ProtoReader, into: Record<string, Json>, read: (r: ProtoReader) => T): void {
  let key = '';
  let value: T | undefined;
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1) {
      r.expect(t & 7, WIRE_LEN);
      key = r.string();
    } else if (f === 2) {
      r.expect(t & 7, WIRE_LEN);
      value = read(r.sub());
    } else r.skip(t & 7);
  }
  if (value === undefined) throw new ProtoDecodeError('map entry without a value');
  setEntry(into, key, value);
}

// Metadata: filter_metadata 1 (map<string, Struct>), typed_filter_metadata 2 (map<string, Any>).
function metadata(r: ProtoReader): JsonObject {
  let filter: Record<string, Json> | undefined;
  let typed: Record<string, Json> | undefined;
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1) {
      r.expect(t & 7, WIRE_LEN);
      messageMapEntry(r.sub(), (filter ??= {}), (s) => struct(s, 3));
    } else if (f === 2) {
      r.expect(t & 7, WIRE_LEN);
      messageMapEntry(r.sub(), (typed ??= {}), any);
    } else r.skip(t & 7);
  }
  const out: JsonObject = {};
  const f = filter && sortedMap(filter);
  if (f) out.filterMetadata = f;
  const a = typed && sortedMap(typed);
  if (a) out.typedFilterMetadata = a;
  return out;
}

function any(r: ProtoReader): JsonObject {
  const slots: Slots = [];
  while (!r.done()) {
    const t = r.tag();
    const f = t >>> 3;
    if (f === 1) {
      r.expect(t & 7, WIRE_LEN);
      slots[1] = r.string();
    } else if (f === 2) {
      r.expect(t & 7, WIRE_LEN);
      slots[2] = base64(r.bytes());
    } else r.skip(t & 7);
  }
  return emit(slots, ['', 'typeUrl', 'value']);
}

/** google.protobuf.Struct → plain JSON (fields 1: map<string, Value>), as check/protojson.ts structToJson. */
function struct(r: ProtoReader, depth: number): JsonObject {
  depthCheck(depth);
  const fields: Record<string, Json> = {};
  while (!r.done()) {
    const t = r.tag();
    if (t >>> 3 === 1) {
      r.expect(t & 7, WIRE_LEN);
      messageMapEntry(r.sub(), fields, (s) => value(s, depth + 1));
    } else r.skip(t & 7);
  }
  return sortedMap(fields) ?? {};
}

/**
 * google.protobuf.Value → JSON. Every member of the `kind` oneof that appears is kept (its last value), and the
 * first present of string, number, bool, struct, list is the value; none (or only null_value) is null.
 */
function value(r: ProtoReader, depth: number): Json {
  depthCheck(depth);
  let str: string | undefined;
  let num: number | undefined;
  let bool: boolean | undefined;
  let obj: JsonObject | undefined;
  let list: Json[] | undefined;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t & 7, WIRE_VARINT);
        r.int32();
        break;
      case 2:
        r.expect(t & 7, 1);
        num = r.double();
        break;
      case 3:
        r.expect(t & 7, WIRE_LEN);
        str = r.string();
        break;
      case 4:
        r.expect(t & 7, WIRE_VARINT);
        bool = r.bool();
        break;
      case 5:
        r.expect(t & 7, WIRE_LEN);
        obj = struct(r.sub(), depth + 1);
        break;
      case 6: {
        r.expect(t & 7, WIRE_LEN);
        const s = r.sub();
        depthCheck(depth + 1);
        const values: Json[] = [];
        while (!s.done()) {
          const st = s.tag();
          if (st >>> 3 === 1) {
            s.expect(st & 7, WIRE_LEN);
            values.push(value(s.sub(), depth + 2));
          } else s.skip(st & 7);
        }
        list = values;
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  if (str !== undefined) return str;
  if (num !== undefined) return num;
  if (bool !== undefined) return bool;
  if (obj !== undefined) return obj;
  if (list !== undefined) return list;
  return null;
}
