import type { Json, JsonObject } from './types.js';

/**
 * Convert a CheckRequest's AttributeContext, as decoded by proto-loader (keepCase, bytes as Buffer, enums as
 * names, longs as strings), into the protojson shape OPA's Envoy plugin gives policies
 * (`input.attributes`): lowerCamelCase field names, bytes as base64, Timestamp as RFC 3339, Struct as plain JSON.
 * Map fields keep their keys verbatim (header names, label keys, metadata namespaces), written in sorted order: a
 * protobuf map has no order on the wire (Go clients randomise it), so sorting here makes the same request always
 * convert to the same JSON text, which the decision cache keys on (cache/canonical-key.ts keyJson).
 */
export function attributesToJson(attributes: unknown): JsonObject {
  return convertMessage(attributes) as JsonObject;
}

type MapKind = 'scalar' | 'struct' | 'any';

/** Fields whose values are maps: keys are data, not field names. Value kind by field name. */
const MAP_FIELDS: ReadonlyMap<string, MapKind> = new Map([
  ['headers', 'scalar'],
  ['labels', 'scalar'],
  ['context_extensions', 'scalar'],
  ['filter_metadata', 'struct'],
  ['typed_filter_metadata', 'any'],
]);

/** The one Timestamp field of an AttributeContext: `request.time`. */
const TIMESTAMP_FIELD = 'time';

// Called for every check on the decoded request: no per-field path strings, no entry arrays.
function convertMessage(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return value as Json;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(convertMessage);

  const obj = value as Record<string, unknown>;
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const isPlainObject = typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
    const mapKind = isPlainObject ? MAP_FIELDS.get(key) : undefined;
    if (mapKind) out[camel(key)] = convertMap(v as Record<string, unknown>, mapKind);
    else if (isPlainObject && key === TIMESTAMP_FIELD) out[key] = timestampToJson(v as Record<string, unknown>);
    else out[camel(key)] = convertMessage(v);
  }
  return out;
}

function convertMap(map: Record<string, unknown>, kind: MapKind): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(map).sort()) {
    const v = map[k];
    if (kind === 'scalar') out[k] = v as Json;
    else if (kind === 'struct') out[k] = structToJson(v);
    else out[k] = convertMessage(v);
  }
  return out;
}

/** google.protobuf.Value / Struct / ListValue (proto-loader form) → plain JSON. */
export function structToJson(value: unknown): Json {
  if (value === null || value === undefined || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (v.fields && typeof v.fields === 'object') {
    const out: JsonObject = {};
    const fields = v.fields as Record<string, unknown>;
    // A Struct's fields are a protobuf map: sorted, as convertMap does.
    for (const k of Object.keys(fields).sort()) out[k] = valueToJson(fields[k]);
    return out;
  }
  return {};
}

function valueToJson(value: unknown): Json {
  if (value === null || value === undefined || typeof value !== 'object') return null;
  // Well-known types are decoded with lowerCamelCase field names (protobufjs's bundled definitions).
  const v = value as Record<string, unknown>;
  if ('stringValue' in v) return v.stringValue as string;
  if ('numberValue' in v) return v.numberValue as number;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('structValue' in v) return structToJson(v.structValue);
  if ('listValue' in v) {
    const list = (v.listValue as { values?: unknown[] } | undefined)?.values ?? [];
    return list.map(valueToJson);
  }
  return null;
}

/** google.protobuf.Timestamp {seconds, nanos} → RFC 3339 with nanosecond precision as needed (protojson). */
export function timestampToJson(ts: Record<string, unknown>): Json {
  const seconds = BigInt((ts.seconds as string | number | undefined) ?? 0);
  const nanos = Number(ts.nanos ?? 0);
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (!nanos) return `${date}Z`;
  let frac = String(nanos).padStart(9, '0');
  frac = frac.endsWith('000000') ? frac.slice(0, 3) : frac.endsWith('000') ? frac.slice(0, 6) : frac;
  return `${date}.${frac}Z`;
}

const camelCache = new Map<string, string>();
/** snake_case field name → lowerCamelCase (field names come from the proto schema: a small, closed set). */
function camel(s: string): string {
  let c = camelCache.get(s);
  if (c === undefined) {
    c = s.includes('_') ? s.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase()) : s;
    if (camelCache.size < 10_000) camelCache.set(s, c);
  }
  return c;
}
