import { describe, expect, it } from 'vitest';
import { computeArgumentFacts, detectInString, parseDocument, urlFacts } from '../../../src/facts/index.js';
import { normaliseForDetection } from '../../../src/facts/pii.js';
import { foldKey } from '../../../src/mcp/fold-key.js';

describe('wrapped URLs and schemes without slashes', () => {
  it('reports the URL a wrapper carries, with wrapped_in', () => {
    const f = urlFacts('jar:http://169.254.169.254/latest/meta-data!/x', 'u');
    expect(f.map((u) => [u.scheme, u.host, u.is_metadata, u.wrapped_in])).toEqual([
      ['jar', '', false, undefined],
      ['http', '169.254.169.254', true, ['jar']],
    ]);
    expect(urlFacts('view-source:url:http://10.0.0.1/', 'u').map((u) => u.scheme)).toEqual(['view-source', 'url', 'http']);
  });

  it('recognises known schemes without slashes, not prose', () => {
    expect(urlFacts('file:../../../etc/passwd', 'p')[0]).toMatchObject({ scheme: 'file' });
    expect(urlFacts('gopher:x', 'p')[0]).toMatchObject({ scheme: 'gopher' });
    expect(urlFacts('file: see notes', 'p')).toEqual([]);
    expect(urlFacts('c:\\\\windows', 'p')).toEqual([]);
  });

  it('says whether a host ends in a delegated TLD', () => {
    const tld = (s: string) => urlFacts(s, 'u')[0]!.public_tld;
    expect(tld('https://example.com/')).toBe(true);
    expect(tld('https://kubernetes.default/')).toBe(false);
    expect(tld('https://svc.ns.svc/')).toBe(false);
    expect(tld('http://redis:6379/')).toBe(false);
    expect(tld('http://10.0.0.1/')).toBe(false);
  });
});

describe('documents inside arguments', () => {
  it('parses declared documents with the grammar of their upstream, marks what it cannot read', () => {
    expect(parseDocument(' {"amount": 5} ', 'b', 'auto')).toEqual({ path: 'b', format: 'json', value: { amount: 5 }, declared: true });
    expect(parseDocument('amount=5&x=a+b&x=%41', 'b', 'auto')).toEqual({
      path: 'b',
      format: 'form',
      value: { amount: '5', x: ['a b', 'A'] },
      declared: true,
    });
    expect(parseDocument('{"a":1e400}', 'b', 'json')).toMatchObject({ error: 'body_number_unrepresentable' });
    expect(parseDocument('a=%E0%A4', 'b', 'form')).toMatchObject({ error: 'invalid_percent_encoding' });
    // Go's url.ParseQuery: raw = in values, keys without =, raw spaces, &&, a trailing newline kept in the value.
    const form = (s: string) => parseDocument(s, 'b', 'form')?.value;
    expect(form('sig=YWJj==&amount=50000')).toEqual({ sig: 'YWJj==', amount: '50000' });
    expect(form('flag&amount=50000')).toEqual({ flag: '', amount: '50000' });
    expect(form('note=two words&&amount=50000\n')).toEqual({ note: 'two words', amount: '50000\n' });
    expect(form('url:x=1&feed:=2')).toEqual({ 'url:x': '1', 'feed:': '2' });
    expect(parseDocument('a=1;amount=50000', 'b', 'form')).toMatchObject({ error: 'form_semicolon' });
    // JSON followed by trailing data (Go's json.Decoder reads the first value, express.json() refuses it): refused.
    for (const t of ['{"amount":50000}\n--', '{"amount":50000}\u0000', '{"amount":50000}//', '{"amount":50000};', '[1] [2]'])
      expect(parseDocument(t, 'b', 'auto'), t).toMatchObject({ format: 'json', error: 'trailing_data', declared: true });
    expect(parseDocument('{"amount":50000} \r\n', 'b', 'json')).toMatchObject({ value: { amount: 50000 } });
    expect(parseDocument('{"amount":50000', 'b', 'json')).toMatchObject({ error: 'body_invalid_json' });
    expect(parseDocument('{"a":"}"} x', 'b', 'json')).toMatchObject({ error: 'trailing_data' });
    // A multipart body: its boundary is in the upstream's content-type, which the argument does not carry.
    const multipart = '--xYzZY\r\nContent-Disposition: form-data; name="amount"\r\n\r\n50000\r\n--xYzZY--\r\n';
    for (const f of ['auto', 'form', 'json'] as const)
      expect(parseDocument(multipart, 'b', f), f).toEqual({ path: 'b', format: 'multipart', error: 'multipart_unsupported', declared: true });
    // A declared form that is text: read as Go reads it, one key.
    expect(form('hello world')).toEqual({ 'hello world': '' });
    // auto: text without a key=value pair has no members, so it carries no document (no semicolon refusal).
    expect(parseDocument('Fix the login page; see the ticket', 'b', 'auto')).toBeUndefined();
    expect(parseDocument('-- a signature line', 'b', 'auto')).toBeUndefined();
  });

  it('reads an undeclared string as a document only when it parses whole as JSON', () => {
    expect(parseDocument('{"a": [1]}', 'x')).toEqual({ path: 'x', format: 'json', value: { a: [1] } });
    expect(parseDocument('{"a":1,"A":2}', 'x')).toMatchObject({ error: 'body_duplicate_key' });
    for (const s of [
      'hello world',
      'SGVsbG8=',
      'a = b',
      'https://a.com/?x=1',
      'amount=5&x=1',
      'progress=100%',
      '[WIP] fix the login page',
      '[duplicate charge]',
      '{ "compilerOptions": { "strict": true, }, // JSONC\n}',
      '{{#user}}Hello {{name}}{{/user}}',
      '{ color: red; }',
      'function f() { return 1; }',
      '{"a":1} trailing',
      '"just a string"',
      '42',
      '{"amount":50000}\n--',
    ])
      expect(parseDocument(s, 'x'), s).toBeUndefined();
    // Python's json.loads reads NaN and Infinity: JSON to one mainstream decoder, not representable here.
    for (const s of ['{"amount": NaN}', '[Infinity]', '{"a": -Infinity}'])
      expect(parseDocument(s, 'x'), s).toEqual({ path: 'x', format: 'json', error: 'body_number_unrepresentable' });
    expect(parseDocument('{"note": "NaN"} x', 'x')).toBeUndefined();
  });

  it('walks inside documents: URLs and findings get document paths', () => {
    const declared = (path: string) => (path === 'body' ? ('auto' as const) : undefined);
    const f = computeArgumentFacts({ body: 'callback=http%3A%2F%2F169.254.169.254%2F&n=1', j: '{"card": "4111 1111 1111 1111"}' }, { declared });
    expect(f.urls).toEqual([expect.objectContaining({ path: 'body{form}.callback', is_metadata: true })]);
    expect(f.findings).toEqual(expect.arrayContaining([{ type: 'credit_card', path: 'j{json}.card' }]));
    expect(f.documents.map((d) => d.path)).toEqual(['body', 'j']);
  });

  it('reads a form only where declared: elsewhere it is text', () => {
    const f = computeArgumentFacts({ body: 'callback=http%3A%2F%2F169.254.169.254%2F&n=1', note: 'progress=100%' });
    expect(f.documents).toEqual([]);
    expect(f.urls).toEqual([]);
  });

  it('bounds nesting: documents inside documents three levels deep, then truncated', () => {
    let s = '{"x": 1}';
    for (let i = 0; i < 5; i++) s = JSON.stringify({ inner: s });
    expect(computeArgumentFacts({ d: s }).truncated).toBe(true);
  });
});

describe('Unicode before detection', () => {
  it('normalises spaces, invisible characters, dashes and digits', () => {
    expect(normaliseForDetection('4111\u00a01111\u200b1111\u20091111')).toBe('4111 11111111 1111');
    expect(normaliseForDetection('\u0664\u0661\u0661\u0661')).toBe('4111');
    for (const s of ['4111\u00a01111\u00a01111\u00a01111', '４１１１１１１１１１１１１１１１', '123\u201045\u20116789']) {
      expect(detectInString(s).length, s).toBeGreaterThan(0);
    }
  });
});

describe('key folding', () => {
  it('folds as Go encoding/json matches fields', () => {
    expect(foldKey('Arguments')).toBe(foldKey('arguments'));
    expect(foldKey('pa\u017fs')).toBe(foldKey('pass'));
    expect(foldKey('\u212aind')).toBe(foldKey('kind'));
    expect(foldKey('\u03a3')).toBe(foldKey('\u03c2'));
    expect(foldKey('ß')).not.toBe(foldKey('ss'));
  });
});
