import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../../src/check/types.js';
import { addArgumentFacts, addNow } from '../../../src/facts/enrich.js';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { resolvePath } from './resolve-path.js';

describe('computeArgumentFacts', () => {
  it('computes URL facts and findings in one walk, with paths', () => {
    const args = {
      url: 'http://0251.0376.0251.0376/latest/meta-data/',
      body: { to: 'bob@example.com', items: [{ href: 'https://api.weather.gov@evil.com/' }, 'ssn 123-45-6789'] },
      'x-y.z': 'https://user:AKIAIOSFODNN7EXAMPLE@s3.example.com/',
    };
    const facts = computeArgumentFacts(args);
    expect(facts.truncated).toBe(false);
    expect(facts.urls.map((u) => ({ path: u.path, host: u.host, ip: u.ip, is_metadata: u.is_metadata, has_userinfo: u.has_userinfo }))).toEqual([
      { path: 'url', host: '169.254.169.254', ip: '169.254.169.254', is_metadata: true, has_userinfo: false },
      { path: 'body.items[0].href', host: 'evil.com', ip: null, is_metadata: false, has_userinfo: true },
      { path: '["x-y.z"]', host: 's3.example.com', ip: null, is_metadata: false, has_userinfo: true },
    ]);
    expect(facts.findings).toEqual([
      { type: 'email', path: 'body.to' },
      { type: 'ssn', path: 'body.items[1]' },
      { type: 'aws_access_key', path: '["x-y.z"]' },
    ]);
  });

  it('points every URL and finding at a value of the arguments', () => {
    const value = fc.oneof(fc.string(), fc.webUrl(), fc.constantFrom('123-45-6789', 'a@example.com', 'http://127.1/', 4111111111111111));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.array(value, { maxLength: 5 }), (v, extra) => {
        const args = { v, extra, nested: { extra } };
        const both = computeArgumentFacts(args);
        for (const u of both.urls) {
          if (u.wrapped_in) expect(String(resolvePath(args, u.path))).toContain(u.raw);
          else expect(resolvePath(args, u.path)).toBe(u.raw);
        }
        for (const f of both.findings) expect(resolvePath(args, f.path)).not.toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('says when the walk was truncated', () => {
    let deep: unknown = 'https://evil.com';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(computeArgumentFacts({ deep }).truncated).toBe(true);
    expect(computeArgumentFacts({ deep }, { maxDepth: 200 }).truncated).toBe(false);
    expect(computeArgumentFacts({ deep }, { maxDepth: 200 }).urls).toHaveLength(1);
  });
});

describe('addArgumentFacts', () => {
  const input = (mcp: Record<string, unknown>): PolicyInput =>
    ({
      attributes: {},
      parsed_path: [],
      parsed_query: {},
      parsed_body: undefined,
      truncated_body: false,
      version: { encoding: 'protojson', ext_authz: 'v3' },
      mcp,
    }) as unknown as PolicyInput;

  it('adds urls, findings and facts_truncated to a tools/call', () => {
    const i = input({ is_batch: false, method: 'tools/call', tool: 'fetch_url', arguments: { url: 'http://[::1]/', note: 'a@example.com' } });
    addArgumentFacts(i);
    expect(i.mcp).toMatchObject({ facts_truncated: false, findings: [{ type: 'email', path: 'note' }] });
    expect(i.mcp!.urls).toHaveLength(1);
    expect(i.mcp!.urls![0]).toMatchObject({ path: 'url', ip: '::1', ip_class: 'loopback' });
  });

  it('adds facts to every message of a batch, whatever its method', () => {
    const i = input({
      is_batch: true,
      batch: [
        { method: 'tools/call', is_notification: false, is_response: false, arguments: { u: 'https://a.com/' } },
        { method: 'tools/list', is_notification: false, is_response: false },
        { method: 'tools/call', is_notification: false, is_response: false },
      ],
    });
    addArgumentFacts(i);
    const [a, b, c] = i.mcp!.batch!;
    expect(a!.urls).toHaveLength(1);
    expect(b).toMatchObject({ urls: [], findings: [], documents: [], facts_truncated: false });
    expect(c).toMatchObject({ urls: [], findings: [], facts_truncated: false });
  });

  it('leaves input without mcp alone', () => {
    const i = input({});
    delete (i as { mcp?: unknown }).mcp;
    expect(() => addArgumentFacts(i)).not.toThrow();
    expect(i.mcp).toBeUndefined();
  });
});

describe('input.now', () => {
  it('is the check time truncated to the minute, exact in nanoseconds', () => {
    const i = {} as PolicyInput;
    addNow(i, Date.UTC(2026, 10, 22, 10, 0, 59, 999));
    expect(i.now).toEqual({ unix_ns: Date.UTC(2026, 10, 22, 10, 0) * 1e6, rfc3339: '2026-11-22T10:00:00Z' });
    addNow(i, Date.UTC(2026, 10, 22, 10, 1, 0));
    expect((i.now as { rfc3339: string }).rfc3339).toBe('2026-11-22T10:01:00Z');
  });
});
