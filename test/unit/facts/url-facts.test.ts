import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { looksLikeUrl, type UrlFact, urlFact } from '../../../src/facts/url-facts.js';
import { resolvePath } from './resolve-path.js';

/** Every row states host, ip, ip_class and ambiguous; `more` adds fields (ambiguity codes listed exactly). */
type Row = [raw: string, host: string, ip: string | null, ipClass: UrlFact['ip_class'], ambiguous: boolean, more?: Partial<UrlFact>];

const META = { is_metadata: true };
const rows: Row[] = [
  // Plain, case, trailing dot, ports, paths.
  [
    'https://httpbin.org/get',
    'httpbin.org',
    null,
    null,
    false,
    { scheme: 'https', port: 443, url_path: '/get', query: '', has_userinfo: false, is_metadata: false, ambiguity: [] },
  ],
  ['http://api.weather.gov', 'api.weather.gov', null, null, false, { port: 80, url_path: '/' }],
  ['HTTPS://HTTPBIN.ORG/Get', 'httpbin.org', null, null, false, { scheme: 'https', url_path: '/Get' }],
  ['https://httpbin.org./get', 'httpbin.org', null, null, false],
  ['https://httpbin.org:8443/x?y=1&z', 'httpbin.org', null, null, false, { port: 8443, query: 'y=1&z' }],
  ['https://httpbin.org:443/', 'httpbin.org', null, null, false, { port: 443 }],
  ['http://httpbin.org:0/', 'httpbin.org', null, null, false, { port: 0 }],
  ['https://a.com/p/../admin', 'a.com', null, null, false, { url_path: '/admin' }],
  ['https://a.com/search?q=new york', 'a.com', null, null, false, { query: 'q=new%20york' }],
  // The startswith/split bypasses.
  ['https://api.weather.gov.evil.com/', 'api.weather.gov.evil.com', null, null, false],
  ['https://api.weather.gov@evil.com/', 'evil.com', null, null, false, { has_userinfo: true }],
  ['https://user:pw@httpbin.org/', 'httpbin.org', null, null, false, { has_userinfo: true }],
  ['https://@httpbin.org/', 'httpbin.org', null, null, false, { has_userinfo: true }],
  ['https://a@b@evil.com/', 'evil.com', null, null, true, { has_userinfo: true, ambiguity: ['multiple_at'] }],
  ['https://a.com\\@evil.com/', 'a.com', null, null, true, { url_path: '/@evil.com/', ambiguity: ['backslash', 'parser_mismatch'] }],
  ['https://a.com\\evil.com/', 'a.com', null, null, true, { ambiguity: ['backslash', 'parser_mismatch'] }],
  ['http://evil%2Ecom%2F@good.com/', 'good.com', null, null, true, { ambiguity: ['encoded_userinfo'] }],
  // IPv4 in every encoding.
  ['http://169.254.169.254/latest/meta-data', '169.254.169.254', '169.254.169.254', 'link_local', false, { ...META, ip_version: 4 }],
  ['http://2852039166/', '169.254.169.254', '169.254.169.254', 'link_local', true, { ...META, ambiguity: ['non_canonical_ip', 'parser_mismatch'] }],
  ['http://0xA9FEA9FE/', '169.254.169.254', '169.254.169.254', 'link_local', true, META],
  ['http://0251.0376.0251.0376/', '169.254.169.254', '169.254.169.254', 'link_local', true, META],
  ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254', '169.254.169.254', 'link_local', true, META],
  ['http://169.254.43518/', '169.254.169.254', '169.254.169.254', 'link_local', true, META],
  ['http://127.1/', '127.0.0.1', '127.0.0.1', 'loopback', true, { ambiguity: ['non_canonical_ip', 'parser_mismatch'] }],
  ['http://0/', '0.0.0.0', '0.0.0.0', 'unspecified', true],
  ['http://%31%32%37.0.0.1/', '127.0.0.1', '127.0.0.1', 'loopback', true, { ambiguity: ['encoded_host', 'parser_mismatch'] }],
  ['http://127.0.0.1:8080/admin', '127.0.0.1', '127.0.0.1', 'loopback', false, { port: 8080 }],
  ['http://0.0.0.0/', '0.0.0.0', '0.0.0.0', 'unspecified', false],
  ['http://10.0.0.5/', '10.0.0.5', '10.0.0.5', 'private', false],
  ['http://172.16.3.4/', '172.16.3.4', '172.16.3.4', 'private', false],
  ['http://172.32.0.1/', '172.32.0.1', '172.32.0.1', 'public', false],
  ['http://192.168.1.1/', '192.168.1.1', '192.168.1.1', 'private', false],
  ['http://100.64.0.1/', '100.64.0.1', '100.64.0.1', 'private', false],
  ['http://224.0.0.1/', '224.0.0.1', '224.0.0.1', 'multicast', false],
  ['http://192.0.2.10/', '192.0.2.10', '192.0.2.10', 'reserved', false],
  ['http://255.255.255.255/', '255.255.255.255', '255.255.255.255', 'reserved', false],
  ['http://8.8.8.8/', '8.8.8.8', '8.8.8.8', 'public', false, { ip_version: 4, is_metadata: false }],
  ['http://100.100.100.200/latest/meta-data/', '100.100.100.200', '100.100.100.200', 'private', false, META],
  // IPv6.
  ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', '169.254.169.254', 'link_local', false, { ...META, ip_version: 4 }],
  ['http://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe', '169.254.169.254', 'link_local', false, META],
  ['http://[::ffff:127.0.0.1]:8080/', '::ffff:7f00:1', '127.0.0.1', 'loopback', false, { port: 8080 }],
  ['http://[fd00:ec2::254]/latest', 'fd00:ec2::254', 'fd00:ec2::254', 'unique_local', false, { ...META, ip_version: 6 }],
  ['http://[64:ff9b::169.254.169.254]/', '64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe', 'reserved', false, META],
  ['http://[::1]/', '::1', '::1', 'loopback', false, { ip_version: 6 }],
  ['http://[0:0:0:0:0:0:0:1]/', '::1', '::1', 'loopback', false],
  ['http://[::]/', '::', '::', 'unspecified', false],
  ['http://[FE80::1]/', 'fe80::1', 'fe80::1', 'link_local', false],
  ['http://[fe80::1%25eth0]/', 'fe80::1%25eth0', 'fe80::1', 'link_local', true, { ambiguity: ['invalid_url', 'ipv6_zone'] }],
  ['http://[fc00::1]/', 'fc00::1', 'fc00::1', 'unique_local', false],
  ['http://[ff02::1]/', 'ff02::1', 'ff02::1', 'multicast', false],
  ['http://[2001:db8::1]/', '2001:db8::1', '2001:db8::1', 'reserved', false],
  ['http://[2606:4700::1111]/', '2606:4700::1111', '2606:4700::1111', 'public', false, { ip_version: 6 }],
  ['http://[::1/', '[::1', null, null, true, { ambiguity: ['invalid_url'] }],
  // DNS names that look like IPs or metadata.
  ['http://127.0.0.1.nip.io/', '127.0.0.1.nip.io', null, null, false, { is_metadata: false }],
  ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal', null, null, false, META],
  ['http://METADATA.google.internal./', 'metadata.google.internal', null, null, false, META],
  ['http://localhost:3000/', 'localhost', null, null, false, { port: 3000 }],
  // IDN and look-alikes.
  ['http://bücher.example/', 'xn--bcher-kva.example', null, null, false],
  ['http://BÜCHER.example/', 'xn--bcher-kva.example', null, null, false],
  ['http://xn--bcher-kva.example/', 'xn--bcher-kva.example', null, null, false],
  ['http://ｅｖｉｌ.com/', 'evil.com', null, null, true, { ambiguity: ['idna_mapping'] }],
  ['http://api.weather.gov。evil.com/', 'api.weather.gov.evil.com', null, null, true, { ambiguity: ['idna_mapping'] }],
  ['http://api.weather.gov\u200b.evil.com/', 'api.weather.gov.evil.com', null, null, true],
  ['http://a%2ecom/', 'a.com', null, null, true, { ambiguity: ['encoded_host', 'parser_mismatch'] }],
  ['http://evil.com;good.com/', 'evil.com;good.com', null, null, true, { ambiguity: ['host_characters'] }],
  ['http://a..b/', 'a..b', null, null, true, { ambiguity: ['host_characters'] }],
  ['http://a.com:99999/', 'a.com', null, null, true, { ambiguity: ['invalid_url'] }],
  // Whitespace, control characters, slashes.
  [' https://httpbin.org/get', 'httpbin.org', null, null, true, { ambiguity: ['whitespace'] }],
  ['https://httpbin.org/get\n', 'httpbin.org', null, null, true, { ambiguity: ['control_characters', 'whitespace'] }],
  ['\u00a0https://httpbin.org/', 'httpbin.org', null, null, true, { ambiguity: ['whitespace'] }],
  ['https://httpbin.org\t.evil.com/', 'httpbin.org.evil.com', null, null, true, { ambiguity: ['control_characters'] }],
  ['ht\ttps://httpbin.org/', 'httpbin.org', null, null, true, { scheme: 'https' }],
  ['https://httpbin.org /x', 'httpbin.org ', null, null, true, { ambiguity: ['invalid_url', 'whitespace'] }],
  ['https:/evil.com', 'evil.com', null, null, true, { ambiguity: ['parser_mismatch', 'slashes'] }],
  ['https:evil.com/x', 'evil.com', null, null, true, { ambiguity: ['parser_mismatch', 'slashes'] }],
  ['https:///evil.com', 'evil.com', null, null, true, { ambiguity: ['parser_mismatch', 'slashes'] }],
  ['https:\\\\evil.com', 'evil.com', null, null, true, { ambiguity: ['backslash', 'parser_mismatch'] }],
  ['https://a.com/x\\..\\admin', 'a.com', null, null, true, { url_path: '/admin', ambiguity: ['backslash'] }],
  // Protocol-relative.
  ['//evil.com/x', 'evil.com', null, null, false, { scheme: '', port: null, url_path: '/x' }],
  ['//evil.com:80/', 'evil.com', null, null, false, { scheme: '', port: 80 }],
  ['//169.254.169.254/', '169.254.169.254', '169.254.169.254', 'link_local', false, { scheme: '', ...META }],
  ['\\\\evil.com\\x', 'evil.com', null, null, true, { scheme: '', ambiguity: ['backslash', 'parser_mismatch'] }],
  ['///evil.com', 'evil.com', null, null, true, { ambiguity: ['parser_mismatch', 'slashes'] }],
  // Other schemes.
  ['file:///etc/passwd', '', null, null, false, { scheme: 'file', port: null, url_path: '/etc/passwd' }],
  ['file:/etc/passwd', '', null, null, false, { scheme: 'file', url_path: '/etc/passwd' }],
  ['file://127.0.0.1/etc/passwd', '127.0.0.1', '127.0.0.1', 'loopback', false, { scheme: 'file' }],
  ['gopher://127.0.0.1:6379/_INFO', '127.0.0.1', '127.0.0.1', 'loopback', false, { scheme: 'gopher', port: 6379 }],
  [
    'gopher://2852039166/_x',
    '169.254.169.254',
    '169.254.169.254',
    'link_local',
    true,
    { ...META, port: 70, ambiguity: ['non_canonical_ip', 'parser_mismatch'] },
  ],
  ['redis:///0', '', null, null, false, { scheme: 'redis', port: 6379, url_path: '/0' }],
  ['redis://EXAMPLE.com/0', 'example.com', null, null, false, { scheme: 'redis', port: 6379 }],
  ['dict://[::1]:11211/stat', '::1', '::1', 'loopback', false, { scheme: 'dict', port: 11211 }],
  ['ftp://files.example.com/a', 'files.example.com', null, null, false, { scheme: 'ftp', port: 21 }],
  ['wss://stream.example.com/ws', 'stream.example.com', null, null, false, { port: 443 }],
  ['custom-app://host/x', 'host', null, null, false, { scheme: 'custom-app', port: null }],
  ['javascript://%0aalert(1)', '%0aalert(1)', null, null, true, { scheme: 'javascript' }],
];

describe('URL facts', () => {
  it('covers at least 40 URL forms', () => expect(rows.length).toBeGreaterThanOrEqual(40));

  it.each(rows)('%j', (raw, host, ip, ipClass, ambiguous, more = {}) => {
    const f = urlFact(raw, 'url');
    expect(f).toBeDefined();
    expect(f).toMatchObject({ path: 'url', raw, host, ip, ip_class: ipClass, ambiguous, ...more });
    expect(f!.ambiguous).toBe(f!.ambiguity.length > 0);
    expect([...f!.ambiguity].sort()).toEqual(f!.ambiguity);
    if (ip === null) expect(f!.ip_version).toBeNull();
  });

  it.each([
    'httpbin.org/get',
    'api.weather.gov',
    'not a url',
    'fetch https://evil.com please',
    'mailto:a@b.c',
    'data:text/plain,hi',
    'data:text/html;base64,PHNjcmlwdD4=',
    'urn:isbn:123',
    'javascript:alert(1)',
    'note: http is a protocol',
    'c:\\\\windows\\system32',
    '// a comment',
    '//',
    '/etc/passwd',
    'https:',
    'https: //evil.com',
    '',
    '   ',
    '12345',
  ])('%j is not a URL', (s) => {
    expect(looksLikeUrl(s)).toBe(false);
    expect(urlFact(s, 'x')).toBeUndefined();
  });

  it('finds URLs at any depth, with their argument paths', () => {
    const args = {
      url: 'https://a.com/',
      nested: { list: [{ href: 'http://10.0.0.1/' }, 'plain', 'https://b.com'] },
      headers: { 'x-y.z': 'http://[::1]/' },
      count: 3,
      'https://key.example/': 'keys are not URLs',
    };
    const { urls, truncated } = computeArgumentFacts(args);
    expect(truncated).toBe(false);
    expect(urls.map((u) => [u.path, u.host, u.ip_class])).toEqual([
      ['url', 'a.com', null],
      ['nested.list[0].href', '10.0.0.1', 'private'],
      ['nested.list[2]', 'b.com', null],
      ['headers["x-y.z"]', '::1', 'loopback'],
    ]);
  });

  it('reports truncation from the walk bounds', () => {
    const urls = Array.from({ length: 30 }, (_, i) => `https://h${i}.example/`);
    const r = computeArgumentFacts({ urls }, { maxStrings: 10 });
    expect(r.truncated).toBe(true);
    expect(r.urls).toHaveLength(9); // the key `urls` is the walk's first string (findings read keys)
    expect(computeArgumentFacts({ urls }).truncated).toBe(false);
  });

  it('reads every generated web URL as WHATWG does, without ambiguity for plain ones', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (raw) => {
        const f = urlFact(raw, 'u');
        expect(f).toBeDefined();
        const u = new URL(raw);
        expect(f!.scheme).toBe(u.protocol.slice(0, -1));
        expect(f!.url_path).toBe(u.pathname);
        expect(f!.query).toBe(u.search.slice(1));
        if (f!.ip === null) expect(f!.host).toBe(u.hostname.replace(/\.$/, ''));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary strings, and reports paths that resolve to the URL', () => {
    const urlish = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc
        .tuple(fc.constantFrom('http://', 'https:', '//', 'gopher://', 'file:/', 'HTTPS:\\\\', ' http://'), fc.string({ unit: 'binary' }))
        .map(([a, b]) => a + b),
      fc.webUrl(),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), urlish, (value, s) => {
        const doc = { a: value, u: s, list: [value, { 'deep key': s }] };
        const { urls } = computeArgumentFacts(doc);
        for (const u of urls) {
          if (u.wrapped_in) expect(String(resolvePath(doc, u.path))).toContain(u.raw);
          else expect(resolvePath(doc, u.path)).toBe(u.raw);
          expect(u.ambiguous).toBe(u.ambiguity.length > 0);
          expect(u.port === null || (Number.isInteger(u.port) && u.port >= 0)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never misses a host that Node would connect to: a fetchable string is a URL fact with that host, or ambiguous', () => {
    const piece = fc.constantFrom(
      'a',
      'B',
      '0',
      '1',
      '9',
      'x',
      '.',
      '..',
      '@',
      '\\',
      '/',
      '//',
      ':',
      '%2e',
      '%40',
      '%31',
      '[',
      ']',
      '::',
      'ffff',
      ' ',
      '\t',
      '\n',
      '\u00a0',
      '\u200b',
      '\u3002',
      'ｅ',
      'ü',
      '#',
      '?',
      '0x7f',
      '127',
      '169.254.169.254',
      'evil.com',
      'a.com',
    );
    const prefix = fc.constantFrom(
      'http://',
      'https://',
      'HTTP://',
      'https:/',
      'https:',
      'https:///',
      'https:\\\\',
      'ws://',
      'ftp://',
      'file://',
      ' http://',
      '\thttps://',
      '//',
      '\\\\',
      'gopher://',
      'redis://',
    );
    fc.assert(
      fc.property(prefix, fc.array(piece, { maxLength: 12 }), (p, parts) => {
        const raw = p + parts.join('');
        let node: URL | undefined;
        try {
          node = new URL(raw.startsWith('//') || raw.startsWith('\\\\') ? `http:${raw}` : raw);
        } catch {
          node = undefined;
        }
        const special = node !== undefined && ['http:', 'https:', 'ws:', 'wss:', 'ftp:'].includes(node.protocol);
        if (!node || !special || node.hostname === '') return;
        // Documented exception: a protocol-relative string with whitespace in its authority is not a URL (comments).
        if (/^[/\\]{2,}[^/\\?#]*\s/.test(raw)) return;
        const f = urlFact(raw, 'u');
        expect(f, raw).toBeDefined();
        const nodeHost = node.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
        if (!f!.ambiguous) expect(f!.host, raw).toBe(nodeHost);
        if (f!.ip !== null && !f!.ambiguous) expect(f!.ip_class, raw).not.toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('handles a 1 MB URL and a 1 MB non-URL string', () => {
    const big = `https://evil.com/${'a'.repeat(1024 * 1024)}`;
    expect(urlFact(big, 'u')).toMatchObject({ host: 'evil.com', ambiguous: false });
    expect(urlFact(`${'a'.repeat(1024 * 1024)}://x`, 'u')).toBeUndefined();
    expect(urlFact(`https:${'/'.repeat(1024 * 1024)}x`, 'u')?.ambiguous).toBe(true);
    expect(urlFact(`//${' '.repeat(1024 * 1024)}x`, 'u')).toBeUndefined();
  });
});
