// The fuzzer's oracle must catch the wrong allows of issue 10 when a server reports the JavaScript reading.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs bench module without types
import { goDecode, goFold, judgeAllowed } from '../../../bench/fuzz-oracle.mjs';

const seenOf = (m: Record<string, any>) => ({
  is_batch: false,
  messages: [
    {
      method: m.method ?? null,
      id: m.id ?? null,
      params: m.params ?? null,
      tool: m.params?.name ?? null,
      arguments: m.params?.arguments ?? null,
      uri: null,
      is_response: false,
    },
  ],
});

describe('fuzz oracle', () => {
  it('folds keys like Go encoding/json and keeps the last match', () => {
    expect(goFold('\u212aey')).toBe(goFold('key'));
    expect(goFold('argument\u017f')).toBe(goFold('ARGUMENTS'));
    const v = goDecode('{"url":"a","URL":"b","x":"\\ud800"}') as Map<string, unknown>;
    expect(v.get(goFold('url'))).toBe('b');
    expect(v.get(goFold('x'))).toBe('\ufffd');
  });

  it('accepts a body every reader agrees on', () => {
    const m = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch_url', arguments: { url: 'https://httpbin.org/get' } } };
    expect(judgeAllowed(JSON.stringify(m), {}, seenOf(m))).toBeUndefined();
  });

  it('flags what a Go upstream or a header-routing gateway reads differently', () => {
    const js = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch_url', arguments: { url: 'https://httpbin.org/get' } } };
    const smuggled =
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch_url","arguments":{"url":"https://httpbin.org/get","URL":"http://169.254.169.254/"}}}';
    const seenJs = seenOf({ ...js, params: { ...js.params, arguments: { url: 'https://httpbin.org/get', URL: 'http://169.254.169.254/' } } });
    expect(judgeAllowed(smuggled, {}, seenJs)?.kind).toBe('go_view_mismatch');
    const variant = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch_url","Arguments":{"url":"http://169.254.169.254/"}}}';
    expect(judgeAllowed(variant, {}, seenOf({ ...js, params: { name: 'fetch_url', Arguments: { url: 'http://169.254.169.254/' } } }))?.kind).toBe(
      'go_view_mismatch',
    );
    expect(judgeAllowed(JSON.stringify(js), { 'mcp-method': 'tools/list' }, seenOf(js))?.kind).toBe('header_view_mismatch');
    expect(
      judgeAllowed(
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1e400}}}',
        {},
        seenOf({ ...js, params: { name: 't', arguments: { a: null } } }),
      )?.kind,
    ).toBe('json_view_mismatch');
  });
});
