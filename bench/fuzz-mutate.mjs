// Mutators for the fuzzer (bench/fuzz.mjs): seed MCP messages, then structure-, token- and byte-level mutations.
// Each call returns { body: Buffer, headers: {…} }. Deterministic for a given PRNG.

const URLS = [
  'https://httpbin.org/get',
  'http://169.254.169.254/latest/meta-data',
  'jar:http://169.254.169.254/x!/y',
  'file:../../etc/passwd',
  'view-source:http://10.0.0.1/',
  'https://kubernetes.default/api',
  'http://svc.ns.svc/',
  'https://example.com/a?b=c',
  'http://2852039166/',
  'https://httpbin.org@evil.com/',
  'gopher:x',
  'url:http://127.0.0.1/',
  'HTTPS://HTTPBIN.ORG/',
  '//evil.com/x',
];
const STRINGS = [
  '',
  'x',
  'hello world',
  '\u200b',
  '\u00a0',
  '4111 1111 1111 1111',
  '4111\u00a01111\u00a01111\u00a01111',
  '123-45-6789',
  '{"amount": 50000}',
  'amount=50000&currency=usd',
  '{"url":"http://169.254.169.254/"}',
  // Form grammar as url.ParseQuery, Rack, PHP and parse_qs read it: raw '=' in a value, keys without '=', raw spaces,
  // '&&', a trailing newline, a first key that looks like a scheme.
  'amount=50000==&currency=usd',
  'flag&amount=50000',
  'amount=50 000&x',
  '&&amount=50000&&',
  'amount=50000\n',
  'feed:x=1&amount=50000',
  'url:=http://169.254.169.254/&amount=50000',
  'amount%3D50000',
  'callback=http%3A%2F%2F169.254.169.254%2F',
  // JSON documents followed by trailing data (Go's json.Decoder reads the first value).
  '{"amount": 50000}\n--',
  '{"amount": 50000}\u0000',
  '{"amount": 50000}//',
  '{"amount": 50000};',
  '{"url":"http://169.254.169.254/"} {"url":"https://httpbin.org/"}',
  // UTF-7 text: a body decoded with charset=utf-7 reads '+AGEAbQBvAHUAbgB0-' as 'amount'.
  '+AGEAbQBvAHUAbgB0-',
  '+ACI-,+ACI-url+ACI-:+ACI-http://169.254.169.254/',
  // Blank that is not ASCII: VT, NEL, U+001C-U+001F, variation selectors, default-ignorables, Unicode spaces.
  '\u000b',
  '\u0085',
  '\u001c\u001d\u001e\u001f',
  '\udb40\udd00',
  '\ufe0f',
  '\u2060',
  '\u3000',
  '\u180e',
  '\u115f',
  '[1,2',
  '\u017f',
  '\u212a',
  'é',
  '😀',
  ...URLS,
];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '1.5',
  '1E2',
  '1e400',
  '-1E999',
  '1e-400',
  '9007199254740991',
  '9007199254740993',
  '4111111111111111113',
  '500.0000000000000001',
  '0.1',
  '123456789012345678901234567890',
  '1e21',
  '-12.75',
];
const KEYS = [
  'method',
  'Method',
  'METHOD',
  'params',
  'Params',
  'name',
  'NAME',
  'Name',
  'arguments',
  'Arguments',
  'ARGUMENTS',
  'argument\u017f',
  'id',
  'ID',
  'jsonrpc',
  'uri',
  'URI',
  'url',
  'URL',
  'amount',
  'AMOUNT',
  '\u212aey',
  'key',
  '_meta',
  'result',
  'error',
];
const METHODS = [
  'tools/call',
  'tools/list',
  'resources/read',
  'resources/subscribe',
  'prompts/get',
  'completion/complete',
  'initialize',
  'ping',
  'notifications/initialized',
  'Tools/Call',
  'tools/call ',
  'custom/x',
];
const RAW_STRINGS = [
  '"\\ud800"',
  '"\\udc00x"',
  '"\\ud83d\\ude00"',
  '"met\\u0068od"',
  '"argument\\u017f"',
  '"\\u212aey"',
  '"a\\u0000b"',
  '"\\u00a0"',
  '"tools/call"',
  '"fetch_url"',
  '"\\"x"',
  '"jar:http://169.254.169.254/"',
];
const PUNCT = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', 'false'];

export const SEEDS = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch_url', arguments: { url: 'https://httpbin.org/get' } } },
  {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'summarise', arguments: { text: 'hello', options: { depth: 2, tags: ['a', 'b'] } } },
  },
  {
    jsonrpc: '2.0',
    id: 3,
    method: 'tools/call',
    params: { name: 'process_refund', arguments: { amount: 120, reason: 'damaged' }, _meta: { progressToken: 'p' } },
  },
  {
    jsonrpc: '2.0',
    id: 'a',
    method: 'tools/call',
    params: { name: 'http_request', arguments: { url: 'https://api.example.com/pay', body: 'amount=100&currency=usd' } },
  },
  { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'https://example.com/docs/readme.md' } },
  { jsonrpc: '2.0', id: 5, method: 'prompts/get', params: { name: 'p', arguments: { topic: 'x' } } },
  { jsonrpc: '2.0', id: 6, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: 'b' } } },
  { jsonrpc: '2.0', id: 7, method: 'tools/list', params: { cursor: 'c' } },
  {
    jsonrpc: '2.0',
    id: 8,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 9, method: 'ping' },
  [
    { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'summarise', arguments: { q: 'x' } } },
    { jsonrpc: '2.0', id: 11, method: 'tools/list' },
  ],
];

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** Every container in a value, with a way to reach it: [container, key|index] pairs for each member. */
function members(root) {
  const out = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node && typeof node === 'object') {
      for (const k of Object.keys(node)) {
        out.push([node, Array.isArray(node) ? Number(k) : k]);
        stack.push(node[k]);
      }
    }
  }
  return out;
}

function foldVariant(r, key) {
  const variants = [
    key.toUpperCase(),
    key[0] ? key[0].toUpperCase() + key.slice(1) : key,
    key.replace(/s/, '\u017f'),
    key.replace(/k/, '\u212a'),
    key.replace(/K/, '\u212a'),
  ];
  return r.pick(variants.filter((v) => v !== key).concat([`${key}_`]));
}

function interestingValue(r) {
  switch (r.int(6)) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick(URLS);
    case 2:
      return r.chance(0.5) ? r.int(1000000) : -r.int(1000);
    case 3:
      return JSON.stringify({ [r.pick(KEYS)]: r.pick(STRINGS), amount: r.int(100000) });
    case 4:
      return `amount=${r.int(100000)}&callback=${encodeURIComponent(r.pick(URLS))}`;
    default:
      return r.chance(0.5) ? null : [r.pick(STRINGS), { [r.pick(KEYS)]: r.pick(URLS) }];
  }
}

/** Structure-level: edit the parsed message (keys, types, methods, batches, nesting, documents). */
function mutateStructure(r, msg) {
  let m = clone(msg);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const all = members(m);
    const op = r.int(11);
    if (op === 0 && all.length) {
      const [c, k] = r.pick(all);
      if (!Array.isArray(c)) {
        const v = c[k];
        delete c[k];
        c[foldVariant(r, String(k))] = v;
      }
    } else if (op === 1 && all.length) {
      const [c, k] = r.pick(all);
      if (!Array.isArray(c)) c[foldVariant(r, String(k))] = interestingValue(r);
    } else if (op === 2 && m && !Array.isArray(m) && m.params && typeof m.params === 'object') {
      m.params = Array.isArray(m.params) ? { ...m.params } : Object.values(m.params);
    } else if (op === 3 && m && !Array.isArray(m)) {
      m.method = r.pick(METHODS);
    } else if (op === 4 && all.length) {
      const [c, k] = r.pick(all);
      c[k] = interestingValue(r);
    } else if (op === 5) {
      m = r.chance(0.5) ? [m] : [m, clone(r.pick(SEEDS.filter((s) => !Array.isArray(s))))];
    } else if (op === 6 && all.length) {
      const [c, k] = r.pick(all);
      if (Array.isArray(c)) c.splice(k, 1);
      else delete c[k];
    } else if (op === 7 && m && !Array.isArray(m) && m.params && typeof m.params === 'object' && !Array.isArray(m.params)) {
      m.params._meta = { 'io.modelcontextprotocol/protocolVersion': r.pick(['2026-07-28', '2025-06-18']), [r.pick(KEYS)]: r.pick(URLS) };
    } else if (op === 8 && all.length) {
      const [c, k] = r.pick(all);
      let v = c[k];
      for (let d = r.int(80); d > 0; d--) v = r.chance(0.5) ? [v] : { a: v };
      c[k] = v;
    } else if (op === 9 && m && !Array.isArray(m) && m.params && typeof m.params === 'object' && !Array.isArray(m.params)) {
      const args =
        m.params.arguments && typeof m.params.arguments === 'object' && !Array.isArray(m.params.arguments)
          ? m.params.arguments
          : (m.params.arguments = {});
      args[r.pick(KEYS)] = interestingValue(r);
    } else if (op === 10 && all.length) {
      const [c, k] = r.pick(all);
      if (c[k] && typeof c[k] === 'object') c[k] = JSON.stringify(c[k]);
    }
  }
  return m;
}

/** A rough JSON tokenizer: strings (with escapes), numbers, punctuation, literals, whitespace. Never throws. */
export function tokens(text) {
  const out = [];
  const re = /"(?:[^"\\]|\\.)*"?|-?\d[\d.eE+-]*|[{}[\],:]|true|false|null|\s+|./gsy;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m[0]);
    if (re.lastIndex >= text.length) break;
  }
  return out;
}

/** Token-level: replace, duplicate, swap, delete or insert tokens (numbers, escaped strings, key/value pairs). */
function mutateTokens(r, text) {
  const t = tokens(text);
  if (t.length === 0) return text;
  const n = 1 + r.int(3);
  for (let i = 0; i < n && t.length > 0; i++) {
    const at = r.int(t.length);
    const tok = t[at];
    const op = r.int(7);
    if (op === 0 && /^-?\d/.test(tok)) t[at] = r.pick(NUMBERS);
    else if (op === 1 && tok.startsWith('"')) t[at] = r.pick(RAW_STRINGS);
    else if (op === 2 && tok.startsWith('"') && t[at + 1] === ':') {
      // duplicate a "key": value pair, under the same or a folded key
      let end = at + 2;
      while (end < t.length && /^\s+$/.test(t[end])) end++;
      const pair = t.slice(at, end + 1).join('');
      const key = JSON.stringify(foldVariant(r, tok.slice(1, -1)));
      t.splice(end + 1, 0, ',', r.chance(0.5) ? pair : pair.replace(tok, key));
    } else if (op === 3) {
      const other = r.int(t.length);
      [t[at], t[other]] = [t[other], t[at]];
    } else if (op === 4) t.splice(at, 1);
    else if (op === 5) t.splice(at, 0, r.pick(PUNCT.concat(NUMBERS.slice(0, 4), RAW_STRINGS.slice(0, 4))));
    else if (tok.startsWith('"')) t[at] = JSON.stringify(r.pick(STRINGS.concat(KEYS)));
  }
  return t.join('');
}

const BYTES = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x65, 0x2d, 0x00, 0x0a, 0x20, 0x7f, 0x80, 0xc0, 0xff, 0xed];

/** Byte-level: flip bits, set, insert, delete or duplicate bytes (including invalid UTF-8). */
function mutateBytes(r, buf) {
  const b = [...buf];
  const n = 1 + r.int(4);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = r.int(b.length);
    switch (r.int(6)) {
      case 0:
        b[at] ^= 1 << r.int(8);
        break;
      case 1:
        b[at] = r.pick(BYTES);
        break;
      case 2:
        b.splice(at, 0, r.pick(BYTES));
        break;
      case 3:
        b.splice(at, 1 + r.int(8));
        break;
      case 4:
        b.splice(at, 0, ...b.slice(at, at + 1 + r.int(16)));
        break;
      default:
        b.splice(at, 0, 0xed, 0xa0, 0x80); // a UTF-8-encoded surrogate (invalid UTF-8)
    }
  }
  return Buffer.from(b);
}

/** The standard headers a 2026-07-28 client would send for a message, sometimes wrong or twinned. */
function headersFor(r, msg) {
  if (!r.chance(0.3) || !msg || Array.isArray(msg) || typeof msg !== 'object') return {};
  const h = { 'mcp-protocol-version': r.pick(['2026-07-28', '2026-07-28', '2025-06-18']) };
  if (typeof msg.method === 'string' && r.chance(0.9)) h['mcp-method'] = r.chance(0.85) ? msg.method : r.pick(METHODS);
  const name = msg.params && typeof msg.params === 'object' ? (msg.params.name ?? msg.params.uri) : undefined;
  if (typeof name === 'string' && r.chance(0.9)) {
    h['mcp-name'] = r.chance(0.85) ? (/^[\x21-\x7e]*$/.test(name) ? name : `=?base64?${Buffer.from(name).toString('base64')}?=`) : 'delete_account';
  }
  if (r.chance(0.1)) h.mcp_method = r.pick(METHODS);
  const args = msg.params?.arguments;
  if (args && typeof args === 'object' && r.chance(0.2)) {
    const k = r.pick(Object.keys(args).concat(['region']));
    const v = args[k];
    h[`mcp-param-${k.toLowerCase()}`] = typeof v === 'string' && r.chance(0.8) ? v : String(r.int(100));
  }
  return h;
}

/** Content types a client may declare: every charset spelling, parameters repeated, JSON-looking types. */
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset="UTF-8"',
  'Application/JSON; Charset=UTF8',
  'application/json; charset=utf-7',
  'application/json; charset="utf-7"',
  'application/json; charset=unicode-1-1-utf-7',
  'application/json; charset=csUnicode11UTF7',
  'application/json; charset=utf-16',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-8; charset=utf-7',
  'application/json; charset=utf-7; charset=utf-8',
  'application/json; foo=bar',
  'application/json ; charset=utf-8',
  'application/json,text/plain',
  'application/vnd.api+json',
  'application/json-patch+json',
  'text/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
];
const TRAILERS = [
  '\n--',
  '\u0000',
  '//',
  ';',
  ' {"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_account"}}',
  '\n',
  ' ',
  '\u00a0',
  '\ufeff',
];
/** Characters around and between tokens that some decoder may treat as whitespace, and others as data. */
const ODD_BLANKS = ['\u000b', '\u000c', '\u0085', '\u00a0', '\ufeff', '\u2028', '\u2029', '\u200b', '\u3000', '\u001c', '\u0000', '\r'];

/**
 * Envelope-level: what a body means beyond its JSON text — the declared charset and media type, a byte order mark,
 * another encoding of the same text, data after the value, odd blanks between tokens.
 */
function mutateEnvelope(r, body, headers) {
  let b = body;
  const h = { ...headers };
  const n = 1 + r.int(2);
  for (let i = 0; i < n; i++) {
    switch (r.int(6)) {
      case 0:
        h['content-type'] = r.pick(CONTENT_TYPES);
        break;
      case 1:
        b = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
        break;
      case 2: {
        // The same text in UTF-16 (with or without a BOM), declared or not.
        const le = Buffer.from(b.toString('utf8'), 'utf16le');
        b = r.chance(0.5) ? Buffer.concat([Buffer.from([0xff, 0xfe]), le]) : le;
        if (r.chance(0.5)) h['content-type'] = 'application/json; charset=utf-16le';
        break;
      }
      case 3:
        b = Buffer.concat([b, Buffer.from(r.pick(TRAILERS))]);
        break;
      case 4: {
        const t = tokens(b.toString('utf8'));
        t.splice(r.int(t.length + 1), 0, r.pick(ODD_BLANKS));
        b = Buffer.from(t.join(''));
        break;
      }
      default:
        // A UTF-7 spelling of one string value, declared as UTF-7 (or not).
        b = Buffer.from(
          b
            .toString('utf8')
            .replace(/"url"|"amount"|"name"/, (k) => `"+${Buffer.from(k.slice(1, -1), 'utf16le').swap16().toString('base64').replace(/=+$/, '')}-"`),
        );
        if (r.chance(0.7)) h['content-type'] = r.pick(CONTENT_TYPES.slice(4, 8));
    }
  }
  return { body: b, headers: h };
}

/** One fuzz case: a seed mutated at one or more levels. */
export function nextCase(r) {
  let msg = clone(r.pick(SEEDS));
  const levels = r.int(8);
  if (levels & 1 || levels === 0) msg = mutateStructure(r, msg);
  const headers = headersFor(r, msg);
  let text = JSON.stringify(msg);
  if (levels & 2) text = mutateTokens(r, text);
  let body = Buffer.from(text);
  if (levels & 4 && r.chance(0.5)) body = mutateBytes(r, body);
  if (r.chance(0.15)) return mutateEnvelope(r, body, headers);
  return { body, headers };
}
