import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { looksLikeUrl, urlFact } from '../../../src/facts/url-facts.js';

type Row = [raw: string, expected: Partial<ReturnType<typeof urlFact> & object>];

const rows: Row[] = [
  ['https://httpbin.org/get', { scheme: 'https', host: 'httpbin.org', port: 443, url_path: '/get', ip: null, ip_class: null, ambiguous: false }],
  ['http://api.weather.gov', { host: 'api.weather.gov', port: 80, url_path: '/', ambiguous: false }],
  ['HTTPS://HTTPBIN.ORG/Get', { scheme: 'https', host: 'httpbin.org', url_path: '/Get', ambiguous: false }],
  ['https://httpbin.org./get', { host: 'httpbin.org', ambiguous: false }],
  ['https://httpbin.org:8443/x?y=1', { host: 'httpbin.org', port: 8443, query: 'y=1' }],
  ['https://api.weather.gov.evil.com/', { host: 'api.weather.gov.evil.com', ip_class: null, ambiguous: false }],
  ['https://api.weather.gov@evil.com/', { host: 'evil.com', has_userinfo: true, ambiguous: false }],
  ['https://user:pw@httpbin.org/', { host: 'httpbin.org', has_userinfo: true }],
  ['https://a@b@evil.com/', { host: 'evil.com', has_userinfo: true, ambiguous: true }],
  ['https://a.com\\@evil.com/', { host: 'a.com', ambiguous: true }],
  ['https://a.com\\evil.com/', { ambiguous: true }],
  ['http://169.254.169.254/latest/meta-data', { ip: '169.254.169.254', ip_version: 4, ip_class: 'link_local', is_metadata: true }],
  ['http://2852039166/', { ip: '169.254.169.254', ip_class: 'link_local', is_metadata: true, ambiguous: true }],
  ['http://0xA9FEA9FE/', { ip: '169.254.169.254', is_metadata: true, ambiguous: true }],
  ['http://0251.0376.0251.0376/', { ip: '169.254.169.254', is_metadata: true, ambiguous: true }],
  ['http://0xa9.0xfe.0xa9.0xfe/', { ip: '169.254.169.254', is_metadata: true }],
  ['http://[::ffff:169.254.169.254]/', { ip: '169.254.169.254', ip_version: 4, ip_class: 'link_local', is_metadata: true }],
  ['http://[::ffff:a9fe:a9fe]/', { ip: '169.254.169.254', is_metadata: true }],
  ['http://[fd00:ec2::254]/latest', { ip: 'fd00:ec2::254', ip_version: 6, ip_class: 'unique_local', is_metadata: true }],
  ['http://127.0.0.1:8080/admin', { ip: '127.0.0.1', ip_class: 'loopback', port: 8080 }],
  ['http://127.1/', { ip: '127.0.0.1', ip_class: 'loopback', ambiguous: true }],
  ['http://0/', { ip: '0.0.0.0', ip_class: 'unspecified' }],
  ['http://0.0.0.0/', { ip: '0.0.0.0', ip_class: 'unspecified' }],
  ['http://[::1]/', { ip: '::1', ip_class: 'loopback', ip_version: 6 }],
  ['http://[::]/', { ip: '::', ip_class: 'unspecified' }],
  ['http://10.0.0.5/', { ip_class: 'private' }],
  ['http://172.16.3.4/', { ip_class: 'private' }],
  ['http://172.32.0.1/', { ip_class: 'public' }],
  ['http://192.168.1.1/', { ip_class: 'private' }],
  ['http://100.64.0.1/', { ip_class: 'private' }],
  ['http://[fe80::1]/', { ip_class: 'link_local' }],
  ['http://[fc00::1]/', { ip_class: 'unique_local' }],
  ['http://224.0.0.1/', { ip_class: 'multicast' }],
  ['http://[ff02::1]/', { ip_class: 'multicast' }],
  ['http://192.0.2.10/', { ip_class: 'reserved' }],
  ['http://8.8.8.8/', { ip: '8.8.8.8', ip_class: 'public' }],
  ['http://[2606:4700::1111]/', { ip_class: 'public', ip_version: 6 }],
  ['http://127.0.0.1.nip.io/', { host: '127.0.0.1.nip.io', ip: null, ip_class: null }],
  ['http://metadata.google.internal/computeMetadata/v1/', { host: 'metadata.google.internal', is_metadata: true, ip: null }],
  ['http://bücher.example/', { host: 'xn--bcher-kva.example', ambiguous: false }],
  ['http://a%2ecom/', { host: 'a.com', ambiguous: true }],
  ['http://evil%2Ecom%2F@good.com/', { ambiguous: true }],
  [' https://httpbin.org/get', { host: 'httpbin.org', ambiguous: true }],
  ['https://httpbin.org/get\n', { ambiguous: true }],
  ['https://httpbin.org\t.evil.com/', { ambiguous: true }],
  ['//evil.com/x', { scheme: 'http', host: 'evil.com' }],
  ['file:///etc/passwd', { scheme: 'file', host: '', url_path: '/etc/passwd' }],
  ['gopher://127.0.0.1:6379/_INFO', { scheme: 'gopher', ip_class: 'loopback', port: 6379 }],
  ['ftp://files.example.com/a', { scheme: 'ftp', port: 21 }],
  ['http://[::1/', { ambiguous: true }],
];

describe('URL facts', () => {
  it('covers at least 40 URL forms', () => expect(rows.length).toBeGreaterThanOrEqual(40));

  it.each(rows)('%j', (raw, expected) => {
    const f = urlFact(raw, 'url');
    expect(f).toBeDefined();
    expect(f).toMatchObject({ path: 'url', raw, ...expected });
    expect(f!.ambiguous).toBe(f!.ambiguity.length > 0);
  });

  it.each(['httpbin.org/get', 'not a url', 'mailto:a@b.c', 'data:text/plain,hi', 'urn:isbn:123', '', '///x', 'https:/x'])('%j is not a URL', (s) => {
    expect(looksLikeUrl(s)).toBe(false);
    expect(urlFact(s, 'x')).toBeUndefined();
  });

  it('finds URLs at any depth, with their argument paths', () => {
    const { urls } = computeArgumentFacts({
      url: 'https://a.com/',
      nested: { list: [{ href: 'http://10.0.0.1/' }, 'plain', 'https://b.com'] },
      'we.ird key': 'http://[::1]/',
    });
    expect(urls.map((u) => [u.path, u.host])).toEqual([
      ['url', 'a.com'],
      ['nested.list[0].href', '10.0.0.1'],
      ['nested.list[2]', 'b.com'],
      ['["we.ird key"]', '::1'],
    ]);
  });

  it('never throws, and every reported path resolves to the string it describes', () => {
    const resolve = (root: unknown, path: string): unknown => {
      const parts = [...path.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([A-Za-z_$][A-Za-z0-9_$-]*)/g)].map((m) =>
        m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? (JSON.parse(m[2]) as string) : m[3]!,
      );
      return parts.reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], root);
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.webUrl(), (value, url) => {
        const doc = { a: value, u: url, list: [value, { deep: url }] };
        const facts = computeArgumentFacts(doc);
        for (const u of facts.urls) expect(resolve(doc, u.path)).toBe(u.raw);
        for (const f of facts.findings) expect(typeof resolve(doc, f.path)).toBe('string');
      }),
      { numRuns: 200 },
    );
  });

  it('reports truncation when the walk bound is hit', () => {
    const many = Array.from({ length: 50 }, (_, i) => `s${i}`);
    expect(computeArgumentFacts({ many }, { maxDepth: 64, maxStrings: 10 }).truncated).toBe(true);
    expect(computeArgumentFacts({ many }).truncated).toBe(false);
    let deep: unknown = 'https://evil.com';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(computeArgumentFacts(deep).truncated).toBe(true);
  });
});
