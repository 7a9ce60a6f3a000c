import type { CheckResponseWire } from '../check/response.js';
import type { HeaderValueOption } from '../generated/proto/envoy/config/core/v3/HeaderValueOption.js';
import type { QueryParameter } from '../generated/proto/envoy/config/core/v3/QueryParameter.js';
import type { Struct } from '../generated/proto/google/protobuf/Struct.js';
import type { Value } from '../generated/proto/google/protobuf/Value.js';
import { ProtoWriter } from './proto-writer.js';

const APPEND_ACTIONS: Readonly<Record<string, number>> = {
  APPEND_IF_EXISTS_OR_ADD: 0,
  ADD_IF_ABSENT: 1,
  OVERWRITE_IF_EXISTS_OR_ADD: 2,
  OVERWRITE_IF_EXISTS: 3,
};

/**
 * CheckResponse (in its proto-loader form, as check/response.ts builds it) → protobuf bytes, written directly,
 * behind 5 spare bytes for the gRPC frame header (`framed`). The bytes equal what proto-loader's serializer
 * writes: fields in field-number order, every field that is set written, defaults included
 * (test/unit/envoy/check-response-writer.test.ts).
 */
export function writeCheckResponse(res: CheckResponseWire, framed = false): Buffer {
  const w = new ProtoWriter();
  if (framed) w.skip(5);
  if (res.status) {
    w.fork(1);
    if (res.status.code != null) w.uint(1, res.status.code);
    if (res.status.message != null) w.string(2, res.status.message);
    w.join();
  }
  const denied = res.denied_response;
  if (denied) {
    w.fork(2);
    if (denied.status) {
      w.fork(1);
      if (denied.status.code != null) w.uint(1, enumNumber(denied.status.code, {}));
      w.join();
    }
    for (const h of denied.headers ?? []) headerOption(w, 2, h);
    if (denied.body != null) w.string(3, denied.body);
    w.join();
  }
  const ok = res.ok_response;
  if (ok) {
    w.fork(3);
    for (const h of ok.headers ?? []) headerOption(w, 2, h);
    if (ok.dynamic_metadata) struct(w, 3, ok.dynamic_metadata);
    for (const name of ok.headers_to_remove ?? []) w.string(5, name);
    for (const h of ok.response_headers_to_add ?? []) headerOption(w, 6, h);
    for (const q of (ok.query_parameters_to_set ?? []) as QueryParameter[]) {
      w.fork(7);
      if (q.key != null) w.string(1, q.key);
      if (q.value != null) w.string(2, q.value);
      w.join();
    }
    for (const name of ok.query_parameters_to_remove ?? []) w.string(8, name);
    w.join();
  }
  if (res.dynamic_metadata) struct(w, 4, res.dynamic_metadata);
  return w.finish();
}

function enumNumber(v: string | number, names: Readonly<Record<string, number>>): number {
  if (typeof v === 'number') return v;
  const n = names[v];
  if (n === undefined) throw new Error(`unknown enum value ${v}`);
  return n;
}

function headerOption(w: ProtoWriter, field: number, h: HeaderValueOption): void {
  w.fork(field);
  if (h.header) {
    w.fork(1);
    if (h.header.key != null) w.string(1, h.header.key);
    if (h.header.value != null) w.string(2, h.header.value);
    if (h.header.raw_value != null)
      w.bytes(3, typeof h.header.raw_value === 'string' ? Buffer.from(h.header.raw_value, 'base64') : h.header.raw_value);
    w.join();
  }
  if (h.append) {
    w.fork(2);
    if (h.append.value != null) w.uint(1, h.append.value ? 1 : 0);
    w.join();
  }
  if (h.append_action != null) w.uint(3, enumNumber(h.append_action, APPEND_ACTIONS));
  if (h.keep_empty_value != null) w.uint(4, h.keep_empty_value ? 1 : 0);
  w.join();
}

/** google.protobuf.Struct: fields 1 (map<string, Value>, one entry message per key). */
function struct(w: ProtoWriter, field: number, s: Struct): void {
  w.fork(field);
  const fields = s.fields ?? {};
  for (const k of Object.keys(fields)) {
    w.fork(1).string(1, k);
    value(w, 2, fields[k]!);
    w.join();
  }
  w.join();
}

function value(w: ProtoWriter, field: number, v: Value): void {
  w.fork(field);
  if (v.nullValue != null) w.uint(1, 0);
  if (v.numberValue != null) w.double(2, Number(v.numberValue));
  if (v.stringValue != null) w.string(3, v.stringValue);
  if (v.boolValue != null) w.uint(4, v.boolValue ? 1 : 0);
  if (v.structValue != null) struct(w, 5, v.structValue);
  if (v.listValue != null) {
    w.fork(6);
    for (const item of v.listValue.values ?? []) value(w, 1, item);
    w.join();
  }
  w.join();
}
