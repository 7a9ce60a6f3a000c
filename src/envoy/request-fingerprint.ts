import type { FingerprintSpec, RequestFingerprint } from '../check/fingerprint.js';
import type { JsonRpcId } from '../check/per-request.js';
import { readTimestamp, representable } from './check-request-reader.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from './proto-reader.js';

/**
 * CheckRequest bytes → their fingerprint (check/fingerprint.ts), or undefined when the bytes are not a well-formed
 * CheckRequest as far as the walk goes (the request is then read, and refused, as usual).
 *
 * The key is the request's fields in wire order, but for the entries of two map fields (HttpRequest.headers and
 * AttributeContext.context_extensions), which come after their message's other fields, sorted by key (mapBlock). A
 * field the walk does not descend into is kept as its bytes (tag, length, contents), so two keys are equal only
 * when those bytes are. Six messages are descended into, to leave out what the spec names: CheckRequest.attributes,
 * AttributeContext.source and .request, Peer.address, Address.socket_address, Request.http (and its header maps
 * and body). A descended field is written as its tag bytes, the length of its own key and that key. A left-out field is checked as check-request-reader.ts reads it,
 * so a fingerprint never stands for bytes the reader would refuse: every other field is either kept verbatim or
 * descended into with its tag, and equal keys then mean bytes that read alike.
 *
 * The body (`body` or `raw_body`) is kept whole, except the value of the JSON-RPC id of a single message, when it
 * has the plain form RequestFingerprint.id describes: the key then holds the bytes before it, its length and the
 * bytes after it. The bytes are scanned, not parsed (JSON's structure is ASCII and a UTF-8 multi-byte sequence holds
 * no ASCII byte); the check stores a fingerprint only for a body its parser read, with that id (pipeline.ts), so the
 * value the scan finds is that message's id.
 */
export function createFingerprinter(spec: FingerprintSpec): (buf: Buffer) => RequestFingerprint | undefined {
  const names = new VolatileNames(spec.volatileHeaders);
  // One key buffer, reused: the key is copied out of it as one latin1 string.
  const out = new KeyWriter();
  return (buf) => {
    if (buf.length > MAX_FINGERPRINTED_BYTES) return undefined;
    const walk: Walk = {
      buf,
      spec,
      names,
      out,
      mapEntries: false,
      mapHeaders: undefined,
      listHeaders: undefined,
      id: undefined,
      bodies: 0,
      fieldStart: 0,
      tagEnd: 0,
      entries: [],
      value: [-1, -1],
    };
    out.pos = 0;
    try {
      fields(new ProtoReader(buf), walk, checkRequestField);
      if (walk.bodies > 1) return undefined; // which body the reader takes is not worth mirroring
      // The input's headers are the `headers` map when it has any entry, else `header_map` (check/request.ts).
      const headers = (walk.mapEntries ? walk.mapHeaders : walk.listHeaders) ?? {};
      const key = out.text();
      return walk.id === undefined ? { key, headers } : { key, headers, id: walk.id };
    } catch {
      return undefined;
    }
  };
}

/** Larger requests are not fingerprinted (they are rare, and their key would be as large): they go the full way. */
export const MAX_FINGERPRINTED_BYTES = 64 * 1024;

interface Walk {
  readonly buf: Buffer;
  readonly spec: FingerprintSpec;
  readonly names: VolatileNames;
  readonly out: KeyWriter;
  /** The `headers` map has an entry. */
  mapEntries: boolean;
  /** Removed entries of `headers` (the later of two equal names wins, as in the reader). */
  mapHeaders: Record<string, string> | undefined;
  /** Removed entries of `header_map` (lower-cased names, repeats joined with `,`). */
  listHeaders: Record<string, string> | undefined;
  id: JsonRpcId | undefined;
  bodies: number;
  /** Where the field being visited starts, and its tag ends. */
  fieldStart: number;
  tagEnd: number;
  /** The kept entries of the map fields of the message being walked (mapBlock). */
  entries: MapEntry[];
  /** Scratch: a map entry's value span. */
  readonly value: number[];
}

/** The key being written: bytes copied from the request and lengths, in a buffer that grows as needed. */
class KeyWriter {
  buf = Buffer.allocUnsafe(8192);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  copy(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    // Most copies are a few bytes (a tag, a header entry): a loop costs less than Buffer#copy's call.
    if (n <= 96) for (let i = start; i < end; i++) buf[pos++] = src[i]!;
    else {
      src.copy(buf, pos, start, end);
      pos += n;
    }
    this.pos = pos;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** Four bytes to be filled with a length later (lengths); returns where. */
  reserve(): number {
    this.room(4);
    this.pos += 4;
    return this.pos - 4;
  }

  length(at: number, n: number): void {
    this.buf.writeUInt32BE(n, at);
  }

  text(): string {
    return this.buf.toString('latin1', 0, this.pos);
  }
}

/**
 * How one field of a message is written: KEEP copies its bytes; DROP leaves it out (the visitor read and checked
 * it); a visitor that writes the field's own key calls own() and returns OWN.
 */
const KEEP = 0;
const OWN = 1;
const DROP = 2;
type Visit = (r: ProtoReader, tag: number, w: Walk) => typeof KEEP | typeof OWN | typeof DROP;

function fields(r: ProtoReader, w: Walk, visit: Visit): void {
  const out = w.out;
  while (!r.done()) {
    const start = r.pos;
    w.fieldStart = start;
    const tag = r.tag();
    w.tagEnd = r.pos;
    if (visit(r, tag, w) === KEEP) {
      r.skip(tag & 7);
      out.copy(w.buf, start, r.pos);
    }
  }
}

/** A field with its own key: its tag bytes, the length of its key (filled in by `done`), then the key. */
function own(w: Walk): number {
  w.out.copy(w.buf, w.fieldStart, w.tagEnd);
  return w.out.reserve();
}

function done(w: Walk, at: number): typeof OWN {
  w.out.length(at, w.out.pos - at - 4);
  return OWN;
}

/** A descended field: its wire type checked, its message walked. */
function descend(r: ProtoReader, tag: number, w: Walk, visit: Visit, maps = false): typeof OWN {
  r.expect(tag & 7, WIRE_LEN);
  const at = own(w);
  if (!maps) fields(r.sub(), w, visit);
  else {
    const outer = w.entries;
    w.entries = [];
    fields(r.sub(), w, visit);
    mapBlock(w, w.entries);
    w.entries = outer;
  }
  return done(w, at);
}

/**
 * A map field's entries, kept by mapEntry, after the message's other fields: behind a 0 byte (no field's tag), sorted
 * by key when every key is ASCII and no two are equal (encoders write map entries in any order: Go's and C++'s
 * differ from message to message), else as they came. Sorted or not, the reader makes the same map of them.
 */
function mapBlock(w: Walk, entries: MapEntry[]): void {
  const n = entries.length;
  if (n === 0) return;
  const b = w.buf;
  const out = w.out;
  out.byte(0);
  let sortable = true;
  for (let i = 0; i < n; i++) if (!entries[i]!.ascii) sortable = false;
  if (sortable) {
    // Insertion sort (a few dozen entries): by the keys' first bytes, then by the whole keys.
    for (let i = 1; i < n; i++) {
      const e = entries[i]!;
      let j = i - 1;
      while (j >= 0 && compareKeys(b, entries[j]!, e) > 0) {
        entries[j + 1] = entries[j]!;
        j--;
      }
      entries[j + 1] = e;
    }
    for (let i = 1; i < n && sortable; i++) if (compareKeys(b, entries[i - 1]!, entries[i]!) === 0) sortable = false;
    if (!sortable) entries.sort((x, y) => x.start - y.start);
  }
  if (!sortable) out.byte(1); // as they came
  for (let i = 0; i < n; i++) out.copy(b, entries[i]!.start, entries[i]!.end);
}

function compareKeys(b: Buffer, x: MapEntry, y: MapEntry): number {
  if (x.prefix !== y.prefix) return x.prefix - y.prefix;
  const n = Math.min(x.name1 - x.name0, y.name1 - y.name0);
  for (let i = 6; i < n; i++) {
    const d = b[x.name0 + i]! - b[y.name0 + i]!;
    if (d !== 0) return d;
  }
  return x.name1 - x.name0 - (y.name1 - y.name0);
}

/** A kept entry of a map<string, string> field: the whole field's bytes, its key's, and what sorting reads of it. */
interface MapEntry {
  start: number;
  end: number;
  name0: number;
  name1: number;
  /** The key's first six bytes as a number (shorter keys padded with zeros, then ordered by length). */
  prefix: number;
  ascii: boolean;
}

function pushEntry(w: Walk, end: number, name0: number, name1: number): void {
  const b = w.buf;
  let ascii = true;
  let prefix = 0;
  for (let i = name0; i < name1; i++) {
    const c = b[i]!;
    if (c >= 0x80) ascii = false;
    if (i - name0 < 6) prefix = prefix * 256 + c;
  }
  for (let i = name1 - name0; i < 6; i++) prefix *= 256;
  w.entries.push({ start: w.fieldStart, end, name0, name1, prefix, ascii });
}

/** One entry of a map<string, string> that is kept whatever its key (context_extensions). */
function mapEntry(r: ProtoReader, tag: number, w: Walk): typeof DROP {
  r.expect(tag & 7, WIRE_LEN);
  const [name0, name1] = entryKey(r, w);
  pushEntry(w, r.pos, name0, name1);
  return DROP;
}

/**
 * The key span of the map<string, string> entry at the reader (key 1, value 2, read as the reader's stringMapEntry
 * reads them: unknown fields skipped, the later of repeated fields winning), the reader moved past it; also the
 * value's span (-1 when absent). An entry without key has the empty key.
 */
function entryKey(r: ProtoReader, w: Walk, value?: number[]): [number, number] {
  const s = r.sub();
  const b = w.buf;
  let name0 = s.pos;
  let name1 = s.pos;
  let value0 = -1;
  let value1 = -1;
  // What every encoder writes: key (field 1) then value (field 2), each with a one-byte length, filling the entry.
  const p = s.pos;
  let plain = false;
  if (b[p] === 0x0a && s.end - p >= 2 && b[p + 1]! < 0x80 && p + 2 + b[p + 1]! <= s.end) {
    const q = p + 2 + b[p + 1]!;
    if (q === s.end) plain = true;
    else if (b[q] === 0x12 && s.end - q >= 2 && b[q + 1]! < 0x80 && q + 2 + b[q + 1]! === s.end) {
      plain = true;
      value0 = q + 2;
      value1 = s.end;
    }
    if (plain) [name0, name1] = [p + 2, q];
  }
  if (!plain) {
    while (!s.done()) {
      const t = s.tag();
      const f = t >>> 3;
      if (f === 1 || f === 2) {
        s.expect(t & 7, WIRE_LEN);
        const [a, e] = s.span();
        if (f === 1) [name0, name1] = [a, e];
        else [value0, value1] = [a, e];
      } else s.skip(t & 7);
    }
  }
  if (value) {
    value[0] = value0;
    value[1] = value1;
  }
  return [name0, name1];
}

const checkRequestField: Visit = (r, tag, w) => (tag >>> 3 === 1 ? descend(r, tag, w, attributeContextField, true) : KEEP);

// AttributeContext: source 1, request 4.
const attributeContextField: Visit = (r, tag, w) => {
  const f = tag >>> 3;
  if (f === 1 && w.spec.sourcePort) return descend(r, tag, w, peerField);
  if (f === 4) return descend(r, tag, w, requestField);
  if (f === 10) return mapEntry(r, tag, w);
  return KEEP;
};

// Peer: address 1 → Address: socket_address 1 → SocketAddress: port_value 3.
const peerField: Visit = (r, tag, w) => (tag >>> 3 === 1 ? descend(r, tag, w, addressField) : KEEP);
const addressField: Visit = (r, tag, w) => (tag >>> 3 === 1 ? descend(r, tag, w, socketAddressField) : KEEP);
const socketAddressField: Visit = (r, tag) => {
  if (tag >>> 3 !== 3) return KEEP;
  r.expect(tag & 7, WIRE_VARINT);
  r.uint32();
  return DROP;
};

// Request: time 1, http 2.
const requestField: Visit = (r, tag, w) => {
  const f = tag >>> 3;
  if (f === 1 && w.spec.requestTime) {
    r.expect(tag & 7, WIRE_LEN);
    // Read as the reader reads it, which refuses a time it cannot write.
    if (!representable(readTimestamp(r.sub()))) throw new RangeError('time out of range');
    return DROP;
  }
  if (f === 2) return descend(r, tag, w, httpField, true);
  return KEEP;
};

// HttpRequest: id 1, headers 3, body 11, raw_body 12, header_map 13.
const httpField: Visit = (r, tag, w) => {
  switch (tag >>> 3) {
    case 1:
      if (!w.spec.httpId) return KEEP;
      r.expect(tag & 7, WIRE_LEN);
      r.span();
      return DROP;
    case 3:
      return headerEntry(r, tag, w);
    case 11:
    case 12: {
      r.expect(tag & 7, WIRE_LEN);
      w.bodies++;
      const at = own(w);
      const [start, end] = r.span();
      body(w, start, end);
      return done(w, at);
    }
    case 13:
      return descend(r, tag, w, headerMapField);
    default:
      return KEEP;
  }
};

/** One `headers` map entry: left out when its name is volatile, else kept (mapBlock). */
function headerEntry(r: ProtoReader, tag: number, w: Walk): typeof DROP {
  r.expect(tag & 7, WIRE_LEN);
  const b = w.buf;
  w.mapEntries = true;
  const value = w.value;
  const [name0, name1] = entryKey(r, w, value);
  const matched = w.names.match(b, name0, name1);
  if (matched === undefined) {
    pushEntry(w, r.pos, name0, name1);
    return DROP;
  }
  (w.mapHeaders ??= {})[nameText(b, name0, name1, matched)] = value[0]! < 0 ? '' : b.toString('utf8', value[0], value[1]);
  return DROP;
}

// HeaderMap: headers 1 (HeaderValue: key 1, value 2, raw_value 3).
const headerMapField: Visit = (r, tag, w) => {
  if (tag >>> 3 !== 1) return KEEP;
  r.expect(tag & 7, WIRE_LEN);
  const entryStart = r.pos;
  const s = r.sub();
  let name: [number, number] | undefined;
  let value: [number, number] | undefined;
  let raw: [number, number] | undefined;
  while (!s.done()) {
    const t = s.tag();
    const f = t >>> 3;
    if (f === 1 || f === 2) {
      s.expect(t & 7, WIRE_LEN);
      if (f === 1) name = s.span();
      else value = s.span();
    } else if (f === 3) {
      s.expect(t & 7, WIRE_LEN);
      raw = s.span();
    } else s.skip(t & 7);
  }
  const lower = name && name[1] > name[0] ? w.names.match(w.buf, name[0], name[1]) : undefined;
  if (lower === undefined) {
    r.pos = entryStart;
    return KEEP;
  }
  // As check/request.ts collectHeaders: the value, else the raw value as latin1.
  const v = value ? w.buf.toString('utf8', value[0], value[1]) : raw && raw[1] > raw[0] ? w.buf.toString('latin1', raw[0], raw[1]) : '';
  const list = (w.listHeaders ??= {});
  list[lower] = lower in list ? `${list[lower]},${v}` : v;
  return DROP;
};

/**
 * The volatile header names, matched against a name's UTF-8 bytes without decoding it: an ASCII name by its
 * length and its bytes lower-cased; any other name decoded and lower-cased as the cache key lower-cases it. The one
 * character outside ASCII that lower-cases into ASCII is the Kelvin sign (U+212A, three bytes, to `k`; pinned by
 * test/unit/envoy/request-fingerprint.test.ts), so a name can only match when its byte length is a volatile name's
 * plus two for each `k` it may spell that way.
 */
class VolatileNames {
  private readonly byLength = new Map<number, string[]>();
  private readonly lengths = new Set<number>();

  constructor(private readonly names: ReadonlySet<string>) {
    for (const n of names) {
      const list = this.byLength.get(n.length) ?? [];
      list.push(n);
      this.byLength.set(n.length, list);
      const ks = n.split('k').length - 1;
      for (let j = 0; j <= ks; j++) this.lengths.add(n.length + 2 * j);
    }
  }

  /** The volatile name these bytes lower-case to (the same string when they spell it exactly), or undefined. */
  match(b: Buffer, start: number, end: number): string | undefined {
    if (!this.lengths.has(end - start)) return undefined;
    for (let i = start; i < end; i++) {
      if (b[i]! >= 0x80) {
        const lower = b.toString('utf8', start, end).toLowerCase();
        return this.names.has(lower) ? lower : undefined;
      }
    }
    const candidates = this.byLength.get(end - start);
    if (!candidates) return undefined;
    for (const c of candidates) {
      let i = 0;
      for (; i < c.length; i++) {
        let x = b[start + i]!;
        if (x >= 0x41 && x <= 0x5a) x += 0x20;
        if (x !== c.charCodeAt(i)) break;
      }
      if (i === c.length) return c;
    }
    return undefined;
  }
}

/** The name as the reader decodes it: the matched volatile name itself when the bytes spell it exactly. */
function nameText(b: Buffer, start: number, end: number, matched: string): string {
  if (end - start === matched.length) {
    let i = 0;
    while (i < matched.length && b[start + i] === matched.charCodeAt(i)) i++;
    if (i === matched.length) return matched;
  }
  return b.toString('utf8', start, end);
}

/** The body's key: whole (`W`), or without the value of its JSON-RPC id (`I`, with that value's length). */
function body(w: Walk, start: number, end: number): void {
  const out = w.out;
  const id = idSpan(w.buf, start, end);
  if (!id) {
    out.byte(0x57);
    out.copy(w.buf, start, end);
    return;
  }
  w.id = id.value;
  out.byte(0x49);
  out.length(out.reserve(), id.start - start);
  out.copy(w.buf, start, id.start);
  out.length(out.reserve(), id.end - id.start);
  out.copy(w.buf, id.end, end);
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LETTER_I = 0x69;
const LETTER_D = 0x64;

/** JSON's whitespace (RFC 8259: space, tab, line feed, carriage return) from `i`. */
function ws(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== SPACE && c !== TAB && c !== LF && c !== CR) break;
    i++;
  }
  return i;
}

/** Past the closing quote of the string whose contents start at `i`, or -1. */
function stringEnd(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    i += c === BACKSLASH ? 2 : 1;
  }
  return -1;
}

/** Past one JSON value starting at `i` (structure only: strings and nesting), or -1. */
function valueEnd(b: Buffer, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i + 1, end);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < end) {
      const x = b[i]!;
      if (x === QUOTE) {
        i = stringEnd(b, i + 1, end);
        if (i < 0) return -1;
        continue;
      }
      if (x === 0x7b || x === 0x5b) depth++;
      else if (x === 0x7d || x === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A literal or a number: up to the next structural character or whitespace.
  while (i < end) {
    const x = b[i]!;
    if (x === COMMA || x === 0x7d || x === 0x5d || x === SPACE || x === TAB || x === LF || x === CR) return i;
    i++;
  }
  return i;
}

/**
 * Where the value of the top-level `"id"` member of the JSON object in [start, end) lies, and what it is, when that
 * value is a plain integer or ASCII string (RequestFingerprint.id); undefined otherwise (not an object, no literal
 * `"id"` key before the scan stops, another form of id).
 */
export function idSpan(b: Buffer, start: number, end: number): { start: number; end: number; value: JsonRpcId } | undefined {
  // The body is [start, end) of the CheckRequest's buffer: nothing past `end` is read.
  const at = (i: number): number => (i < end ? b[i]! : -1);
  let i = ws(b, start, end);
  if (at(i) !== 0x7b) return undefined;
  i++;
  for (;;) {
    i = ws(b, i, end);
    if (at(i) !== QUOTE) return undefined;
    const k = i + 1;
    i = stringEnd(b, k, end);
    if (i < 0) return undefined;
    const isId = i - k === 3 && b[k] === LETTER_I && b[k + 1] === LETTER_D;
    i = ws(b, i, end);
    if (at(i) !== COLON) return undefined;
    i = ws(b, i + 1, end);
    if (i >= end) return undefined;
    if (isId) return idValue(b, i, end);
    i = valueEnd(b, i, end);
    if (i < 0) return undefined;
    i = ws(b, i, end);
    if (at(i) !== COMMA) return undefined;
    i++;
  }
}

const MAX_ID_STRING = 128;
const MAX_ID_DIGITS = 15;

function idValue(b: Buffer, i: number, end: number): { start: number; end: number; value: JsonRpcId } | undefined {
  const at = (j: number): number => (j < end ? b[j]! : -1);
  const start = i;
  if (at(i) === QUOTE) {
    for (let j = i + 1; j < end && j - i <= MAX_ID_STRING + 1; j++) {
      const c = b[j]!;
      if (c === QUOTE) return { start, end: j + 1, value: b.toString('latin1', i + 1, j) };
      // Printable ASCII without escapes: the value is its bytes.
      if (c < SPACE || c > 0x7e || c === BACKSLASH) return undefined;
    }
    return undefined;
  }
  if (at(i) === MINUS) i++;
  const digits = i;
  if (at(i) === ZERO) i++;
  else while (at(i) >= ZERO && at(i) <= NINE) i++;
  const n = i - digits;
  if (n === 0 || n > MAX_ID_DIGITS) return undefined;
  const next = at(i);
  // A fraction, an exponent or a leading zero make another number (or no JSON at all): the whole body stays.
  if ((next >= ZERO && next <= NINE) || next === 0x2e || next === 0x65 || next === 0x45) return undefined;
  const value = Number(b.toString('latin1', start, i));
  if (Object.is(value, -0)) return undefined;
  return { start, end: i, value };
}
