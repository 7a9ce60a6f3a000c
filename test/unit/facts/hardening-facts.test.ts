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
  it('parses JSON and form strings, marks what it cannot read', () => {
    expect(parseDocument(' {"amount": 5} ', 'b')).toEqual({ path: 'b', format: 'json', value: { amount: 5 } });
    expect(parseDocument('amount=5&x=a+b&x=%41', 'b')).toEqual({ path: 'b', format: 'form', value: { amount: '5', x: ['a b', 'A'] } });
    expect(parseDocument('{"a":1e400}', 'b')).toEqual({ path: 'b', format: 'json', error: 'body_number_unrepresentable' });
    expect(parseDocument('a=%E0%A4', 'b')).toEqual({ path: 'b', format: 'form', error: 'invalid_percent_encoding' });
    for (const s of ['hello world', 'SGVsbG8=', 'SGVsbA==', 'a = b', 'https://a.com/?x=1'])
      expect(parseDocument(s, 'b', s.startsWith('http')), s).toBeUndefined();
  });

  it('walks inside documents: URLs and findings get document paths', () => {
    const f = computeArgumentFacts({ body: 'callback=http%3A%2F%2F169.254.169.254%2F&n=1', j: '{"card": "4111 1111 1111 1111"}' });
    expect(f.urls).toEqual([expect.objectContaining({ path: 'body{form}.callback', is_metadata: true })]);
    expect(f.findings).toEqual(expect.arrayContaining([{ type: 'credit_card', path: 'j{json}.card' }]));
    expect(f.documents.map((d) => d.path)).toEqual(['body', 'j']);
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
