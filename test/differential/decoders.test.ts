// The fuzzer's Go, Python and Node decoders (bench/fuzz-decoders.mjs, bench/fuzz-node-decoders.mjs): the real standard libraries, run as long-lived
// processes, read bodies and documents as Go and Python MCP servers do. These pin the behaviours the fuzzer
// relies on to catch a wrong allow; each is the library's, not ours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a bench module without types
import { startDecoders } from '../../bench/fuzz-decoders.mjs';
// @ts-expect-error: a bench module without types
import { readWithNode } from '../../bench/fuzz-node-decoders.mjs';
// @ts-expect-error: a bench module without types
import { judgeReadings } from '../../bench/fuzz-oracle.mjs';

type Reader = { read(kind: 'message' | 'document', bytes: string | Buffer): Promise<Record<string, any>> };
let d: { go: Reader; python: Reader; close(): Promise<unknown> };

beforeAll(() => {
  d = startDecoders();
}, 170_000);
afterAll(() => d?.close());

describe('Go decoder (encoding/json, url.ParseQuery)', () => {
  it('fills struct fields case-insensitively, the last matching key winning', async () => {
    const r = await d.go.read('message', '{"jsonrpc":"2.0","id":1,"method":"ping","Method":"tools/call","params":{"NAME":"x"}}');
    expect(r.unmarshal.messages[0]).toMatchObject({ method: 'tools/call', name: 'x' });
  });
  it('json.Decoder reads JSON followed by trailing data; Unmarshal refuses it', async () => {
    const r = await d.go.read('message', '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"a"}}\n--');
    expect(r.unmarshal.ok).toBe(false);
    expect(r.decoder.messages[0]).toMatchObject({ method: 'tools/call', name: 'a' });
    const doc = await d.go.read('document', '{"amount":50000}\u0000');
    expect(doc.unmarshal.ok).toBe(false);
    expect(doc.decoder).toEqual({ ok: true, value: { amount: 50000 }, trailing: true });
  });
  it('replaces lone surrogates with U+FFFD and reads batches', async () => {
    const r = await d.go.read('message', '[{"method":"a","params":{"k":"\\ud800"}},{"method":"b"}]');
    expect(r.unmarshal).toMatchObject({ ok: true, batch: true });
    expect(r.unmarshal.messages.map((m: { method: string }) => m.method)).toEqual(['a', 'b']);
    expect(r.unmarshal.messages[0].params).toEqual({ k: '\ufffd' });
  });
  it('url.ParseQuery: raw = in values, keys without =, &&, +, percent escapes; ; is an error', async () => {
    const ok = await d.go.read('document', 'a=b=c&&flag&x=1+2%21\n');
    expect(ok.parse_query).toEqual({ ok: true, value: { a: ['b=c'], flag: [''], x: ['1 2!\n'] } });
    const semi = await d.go.read('document', 'a=1;b=2');
    expect(semi.parse_query.ok).toBe(false);
    expect(semi.parse_query.error).toMatch(/semicolon/);
  });
});

describe('Python decoder (json, urllib.parse, str.strip)', () => {
  it('json.loads: the last duplicate key wins, NaN and Infinity are numbers', async () => {
    const r = await d.python.read('message', '{"method":"ping","method":"tools/call","params":{"name":"x","arguments":{"n":NaN,"m":-Infinity}}}');
    expect(r.loads.messages[0]).toMatchObject({ method: 'tools/call', name: 'x', arguments: { n: { $float: 'nan' }, m: { $float: '-inf' } } });
  });
  it('json.loads on bytes decodes UTF-16 and a UTF-8 BOM', async () => {
    const text = '{"method":"tools/call","params":{"name":"x"}}';
    const utf16 = await d.python.read('message', Buffer.from(text, 'utf16le'));
    expect(utf16.loads.messages[0]).toMatchObject({ method: 'tools/call', name: 'x' });
    const bom = await d.python.read('message', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(bom.loads.ok).toBe(true);
  });
  it('parse_qs, str.strip', async () => {
    const r = await d.python.read('document', '\u001c a=b=c&&flag&x=1+2 \u001f');
    expect(r.strip).toBe('a=b=c&&flag&x=1+2');
    expect(r.parse_qs_blank).toEqual({ '\u001c a': ['b=c'], flag: [''], x: ['1 2 \u001f'] });
    expect(r.parse_qs).toEqual({ '\u001c a': ['b=c'], x: ['1 2 \u001f'] });
    const j = await d.python.read('document', ' {"a": 1}\u001c');
    expect(j.loads.ok).toBe(false);
    expect(j.strip_loads).toEqual({ ok: true, value: { a: 1 } });
  });
  it('answers many frames in order from one process', async () => {
    const all = await Promise.all(Array.from({ length: 500 }, (_, i) => d.python.read('message', `{"method":"m${i}"}`)));
    expect(all.map((r) => r.loads.messages[0].method)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });
});

describe('the oracle with the real decoders (bench/fuzz-oracle.mjs judgeReadings)', () => {
  const seen = (args: Record<string, unknown>) => ({
    is_batch: false,
    messages: [
      {
        method: 'tools/call',
        id: 1,
        params: { name: 'fetch_url', arguments: args },
        tool: 'fetch_url',
        arguments: args,
        uri: null,
        is_response: false,
      },
    ],
  });
  const readAll = async (body: Buffer, headers: Record<string, string>) => {
    const [node, go, python] = await Promise.all([readWithNode(body, headers), d.go.read('message', body), d.python.read('message', body)]);
    return { ...node, go_unmarshal: go.unmarshal, go_decoder: go.decoder, python: python.loads };
  };
  it('agrees when every decoder reads the message the policy saw', async () => {
    const args = { url: 'https://httpbin.org/get' };
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch_url', arguments: args } }));
    expect(judgeReadings(await readAll(body, { 'content-type': 'application/json' }), seen(args))).toBeUndefined();
  });
  it('catches class 1: express.json() and the SSE transport decode charset=utf-7, a server reading UTF-8 does not', async () => {
    const body = Buffer.from(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch_url","arguments":{"+AHU-rl":"http://169.254.169.254/"}}}',
    );
    const readings = await readAll(body, { 'content-type': 'application/json; charset=utf-7' });
    expect(readings.express.messages[0].arguments).toEqual({ url: 'http://169.254.169.254/' });
    // What a server that ignores the charset tells its policy: a harmless key.
    expect(judgeReadings(readings, seen({ '+AHU-rl': 'http://169.254.169.254/' }))?.kind).toBe('express_view_mismatch');
  });
  it('catches class 4: Go json.Decoder reads a body followed by trailing data', async () => {
    const body = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_account"}}\n--');
    const readings = await readAll(body, { 'content-type': 'application/json' });
    expect(judgeReadings(readings, seen({}))?.kind).toBe('go_decoder_view_mismatch');
  });
});
