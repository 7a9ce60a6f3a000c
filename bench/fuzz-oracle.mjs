// The fuzzer's independent oracle: every allowed body is re-read three ways, and each reading must mean exactly
// what the server told the policy (dynamic_metadata.fuzz_seen, from bench/fuzz-echo.rego):
//   1. plain JSON.parse;
//   2. @modelcontextprotocol/sdk's own request schemas (what a TypeScript MCP server executes);
//   3. a decoder written here that reads objects the way Go's encoding/json fills structs: keys matched
//      case-insensitively with Unicode simple folding (the fold is computed from a full code-point table, not the
//      server's own folding code), the last of several matching keys winning, invalid surrogates replaced by U+FFFD;
// and then (judgeReadings) by the decoders MCP servers really run, each given the body's bytes and headers: Express's
// express.json() and the MCP SDK's SSE and Streamable HTTP transports (bench/fuzz-node-decoders.mjs), Go's
// encoding/json Unmarshal and json.Decoder, Python's json.loads (bench/fuzz-decoders.mjs).
import { isDeepStrictEqual } from 'node:util';
import { CallToolRequestSchema, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

// ---------------------------------------------------------------------------------------------------------
// Unicode simple case folding orbits, from every code point's upper/lower-case mappings (union-find).

let foldTable;
function buildFoldTable() {
  const parent = new Map();
  const find = (x) => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r);
    return r;
  };
  const union = (a, b) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    if (ra < rb) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    for (const m of [c.toLowerCase(), c.toUpperCase()]) {
      const x = m.codePointAt(0);
      if (m.length === String.fromCodePoint(x).length && x !== cp) union(cp, x);
    }
  }
  const table = new Map();
  for (const k of parent.keys()) table.set(k, find(k));
  return table;
}

export function goFold(key) {
  foldTable ??= buildFoldTable();
  let out = '';
  for (const ch of key) {
    const cp = ch.codePointAt(0);
    out += String.fromCodePoint(foldTable.get(cp) ?? cp);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// A Go-like decoder: objects become Map(folded key → value), last match wins; lone surrogates → U+FFFD.

export function goDecode(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = () => {
    throw new Error(`go decode: syntax error at ${i}`);
  };
  const str = () => {
    if (text[i] !== '"') fail();
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) fail();
    const raw = text.slice(i, j + 1);
    i = j + 1;
    return JSON.parse(raw).toWellFormed();
  };
  const value = (depth) => {
    if (depth > 10000) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = new Map();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        obj.set(goFold(k), value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        } else fail();
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail();
  return v;
}

/** Marks two keys the policy saw as different but a case-insensitive decoder reads as one. */
const COLLISION = Symbol('keys that fold together');

/** A plain JSON value as the Go decoder's view of it (objects keyed by folded key; a collision is marked). */
export function foldView(v) {
  if (Array.isArray(v)) return v.map(foldView);
  if (v && typeof v === 'object' && !(v instanceof Map)) {
    const m = new Map();
    for (const [k, x] of Object.entries(v)) {
      const f = goFold(k);
      m.set(f, m.has(f) ? COLLISION : foldView(x));
    }
    return m;
  }
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, foldView(x)]));
  return typeof v === 'string' ? v.toWellFormed() : v;
}

const same = (a, b) => isDeepStrictEqual(normalizeZero(a), normalizeZero(b));
const normalizeZero = (v) => {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (Array.isArray(v)) return v.map(normalizeZero);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, normalizeZero(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeZero(x)]));
  return v;
};

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const orNull = (v) => (v === undefined ? null : v);
const F = (k) => goFold(k);

/**
 * Judge one allowed body. Returns undefined when every reading agrees with what the policy saw, else
 * `{kind, detail}` — a wrong allow.
 */
export function judgeAllowed(text, headers, seen) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { kind: 'json_parse_rejects_allowed_body', detail: e.message };
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (!seen || !Array.isArray(seen.messages)) return { kind: 'no_echo', detail: 'the policy saw no message' };
  if (Boolean(seen.is_batch) !== Array.isArray(parsed) || seen.messages.length !== list.length) {
    return { kind: 'json_view_mismatch', detail: 'batch shape' };
  }
  let go;
  try {
    go = goDecode(text);
  } catch (e) {
    return { kind: 'go_decoder_rejects_allowed_body', detail: e.message };
  }
  const goList = Array.isArray(go) ? go : [go];
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const s = seen.messages[i];
    // 1. JSON.parse
    if (!isObject(m)) return { kind: 'json_view_mismatch', detail: `message ${i} is not an object` };
    // Ids are not compared: the decision cache keys decisions without them by design (a retry with a new id hits),
    // so the echoed id may be the one of an earlier identical request.
    if (orNull(m.method) !== s.method || !same(orNull(m.params), s.params)) {
      return { kind: 'json_view_mismatch', detail: `message ${i}: method or params differ` };
    }
    if (m.method === 'tools/call' && (m.params?.name !== s.tool || !same(orNull(m.params?.arguments), s.arguments))) {
      return { kind: 'json_view_mismatch', detail: `message ${i}: tool or arguments differ` };
    }
    // 2. the MCP SDK's schemas: what a TypeScript MCP server would execute
    const sdk = JSONRPCMessageSchema.safeParse(m);
    if (sdk.success && m.method === 'tools/call') {
      const call = CallToolRequestSchema.safeParse({ method: m.method, params: m.params });
      if (call.success && (call.data.params.name !== s.tool || !same(orNull(call.data.params.arguments), s.arguments))) {
        return { kind: 'sdk_view_mismatch', detail: `message ${i}: the SDK reads another tool call` };
      }
    }
    if (sdk.success && typeof m.method === 'string' && sdk.data.method !== s.method)
      return { kind: 'sdk_view_mismatch', detail: `message ${i}: method` };
    // 3. the Go-like decoder
    const g = goList[i];
    if (!(g instanceof Map)) return { kind: 'go_view_mismatch', detail: `message ${i} is not an object` };
    if (orNull(g.get(F('method'))) !== s.method)
      return { kind: 'go_view_mismatch', detail: `message ${i}: method ${JSON.stringify(g.get(F('method')))} vs ${s.method}` };
    if (!same(orNull(g.get(F('params'))), s.params === null ? null : foldView(s.params))) {
      return { kind: 'go_view_mismatch', detail: `message ${i}: params` };
    }
    const gp = g.get(F('params'));
    if (s.method === 'tools/call' && gp instanceof Map) {
      if (gp.get(F('name')) !== s.tool) return { kind: 'go_view_mismatch', detail: `message ${i}: tool` };
      if (!same(orNull(gp.get(F('arguments'))), s.arguments === null ? null : foldView(s.arguments))) {
        return { kind: 'go_view_mismatch', detail: `message ${i}: arguments` };
      }
    }
  }
  // SEP-2243: a routing header must say what the body says.
  const single = list.length === 1 ? list[0] : undefined;
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase().replaceAll('_', '-');
    const decoded = v.startsWith('=?base64?') && v.endsWith('?=') ? Buffer.from(v.slice(9, -2), 'base64').toString('utf8') : v;
    if (name === 'mcp-method' && (!single || decoded !== single.method)) return { kind: 'header_view_mismatch', detail: `Mcp-Method ${v}` };
    if (name === 'mcp-name' && (!single || (decoded !== single.params?.name && decoded !== single.params?.uri))) {
      return { kind: 'header_view_mismatch', detail: `Mcp-Name ${v}` };
    }
  }
  return undefined;
}

/**
 * Judge what real decoders read from an allowed body: `readings` maps a decoder's name to its reading ({ok, batch,
 * messages: [{method, name, params, arguments}]}, or {ok: false} when it refuses the body and so executes nothing).
 * Every reading that accepts must be the message the policy saw: batch shape, method, params, tool and arguments.
 * Returns undefined, or `{kind, detail}` for the first decoder that reads another message — a wrong allow.
 */
export function judgeReadings(readings, seen) {
  if (!seen || !Array.isArray(seen.messages)) return { kind: 'no_echo', detail: 'the policy saw no message' };
  // Go fills a missing string field with "" and replaces lone surrogates; neither is a different message.
  const text = (v) => (v === '' || v === undefined ? null : v);
  const wf = (v) => foldStrings(orNull(v));
  for (const [name, r] of Object.entries(readings)) {
    if (!r?.ok) continue;
    const kind = `${name}_view_mismatch`;
    if (Boolean(r.batch) !== Boolean(seen.is_batch) || r.messages.length !== seen.messages.length) return { kind, detail: 'batch shape' };
    for (let i = 0; i < r.messages.length; i++) {
      const m = r.messages[i];
      const s = seen.messages[i];
      if (m.not_object) return { kind, detail: `message ${i} is not an object` };
      if (text(m.method) !== text(s.method))
        return { kind, detail: `message ${i}: method ${JSON.stringify(m.method)} vs ${JSON.stringify(s.method)}` };
      if (!same(wf(m.params), wf(s.params))) return { kind, detail: `message ${i}: params` };
      if (s.method === 'tools/call') {
        if (text(m.name) !== text(s.tool)) return { kind, detail: `message ${i}: tool ${JSON.stringify(m.name)} vs ${JSON.stringify(s.tool)}` };
        if (!same(wf(m.arguments), wf(s.arguments))) return { kind, detail: `message ${i}: arguments` };
      }
    }
  }
  return undefined;
}

/** Strings made well-formed (Go's and Python's readings replace or keep lone surrogates: compared as U+FFFD). */
function foldStrings(v) {
  if (typeof v === 'string') return v.toWellFormed();
  if (Array.isArray(v)) return v.map(foldStrings);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), foldStrings(x)]));
  return v;
}

/**
 * Judge the documents inside an allowed tool call's string arguments: `readings` maps an argument name to what Go
 * (json.Unmarshal of the string) and Python (json.loads) read from it. A string either reads whole as a JSON object
 * or array must be a document the policy saw (input.mcp.documents, at that path, with the same value): otherwise
 * the upstream receives structured data no rule inspected. A declared form argument read by Go's url.ParseQuery
 * must likewise be a form document with the same values. Returns undefined, or `{kind, detail}`.
 */
export function judgeDocuments(message, readings) {
  const documents = Array.isArray(message?.documents) ? message.documents : [];
  for (const [name, r] of Object.entries(readings)) {
    for (const [decoder, reading] of [
      ['go', r.go?.unmarshal],
      ['python', r.python?.loads],
    ]) {
      if (!reading?.ok || reading.value === null || typeof reading.value !== 'object') continue;
      // The argument path as docs/input.md writes it: `key` for identifier-like keys, else `["key"]`.
      const path = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `[${JSON.stringify(name)}]`;
      const doc = documents.find((d) => d.path === path && d.format === 'json');
      if (!doc)
        return { kind: 'document_unseen', detail: `${decoder} reads argument ${JSON.stringify(name)} as a JSON document; the policy saw a string` };
      if (!same(foldStrings(doc.value), foldStrings(reading.value)))
        return { kind: 'document_view_mismatch', detail: `${decoder} reads argument ${JSON.stringify(name)} as another document` };
    }
    // A declared form argument (the fuzzer's data: every tool's `body`), as Go's url.ParseQuery reads it: a
    // key=value pair it finds must be in a document the policy saw, with the same values.
    const q = r.go?.parse_query;
    if (!FORM_DECLARED.has(name) || !q?.ok || !Object.values(q.value ?? {}).some((vs) => vs.some((v) => v !== ''))) continue;
    if (documents.some((d) => d.path === name && d.format === 'json')) continue;
    const form = documents.find((d) => d.path === name && d.format === 'form');
    if (!form) return { kind: 'document_unseen', detail: `url.ParseQuery reads argument ${JSON.stringify(name)} as a form; the policy saw a string` };
    if (form.error !== undefined) continue; // not understood: the pack denies it (this body was allowed in audit only)
    const asLists = Object.fromEntries(Object.entries(form.value ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    if (!same(foldStrings(asLists), foldStrings(q.value)))
      return { kind: 'document_view_mismatch', detail: `url.ParseQuery reads argument ${JSON.stringify(name)} as another form` };
  }
  return undefined;
}

/** Arguments the fuzzer's policy data declares as documents (bench/fuzz.mjs: documents.arguments, every tool's body). */
const FORM_DECLARED = new Set(['body']);
