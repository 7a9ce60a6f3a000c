import { describe, expect, it } from 'vitest';
import { parseFormBody } from '../../../src/check/opa-envoy-body.js';

// parsed_body of form bodies as opa-envoy-plugin builds it (Go url.ParseQuery, mime/multipart).
describe('parseFormBody', () => {
  it('urlencoded: repeated keys, + and %XX, empty values', () => {
    expect(parseFormBody('application/x-www-form-urlencoded; charset=utf-8', 'a=1&a=2&b=x+y%21&c&=v')).toEqual({
      value: { a: ['1', '2'], b: ['x y!'], c: [''], '': ['v'] },
    });
  });

  it('urlencoded: a semicolon or a bad escape is a parse error (the plugin answers 400)', () => {
    expect(parseFormBody('application/x-www-form-urlencoded', 'a=1;b=2')).toEqual({ error: 'invalid semicolon separator in query' });
    expect(parseFormBody('application/x-www-form-urlencoded', 'a=%zz')).toHaveProperty('error');
    expect(parseFormBody('application/x-www-form-urlencoded', 'a=%ff')).toHaveProperty('error'); // not UTF-8: not representable
  });

  it('multipart: named form-data parts, JSON parts parsed, LF line endings accepted', () => {
    const body =
      '--b\nContent-Disposition: form-data; name="j"\nContent-Type: application/json\n\n[1, "x"]\n--b\nContent-Disposition: form-data; name="t"; filename="a.txt"\n\nline 1\nline 2\n--b\nContent-Disposition: attachment; name="skip"\n\nno\n--b--\n';
    expect(parseFormBody('multipart/form-data; boundary="b"', body)).toEqual({ value: { j: [[1, 'x']], t: ['line 1\nline 2'] } });
  });

  it('multipart: no boundary parameter leaves the body unparsed; no closing delimiter is an error', () => {
    expect(parseFormBody('multipart/form-data', '--b\r\n\r\nx\r\n--b--')).toBeUndefined();
    expect(parseFormBody('multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx')).toEqual({
      error: 'multipart: NextPart: EOF',
    });
    expect(
      parseFormBody(
        'multipart/form-data; boundary=b',
        '--b\r\nContent-Disposition: form-data; name="a"\r\nContent-Type: application/json\r\n\r\n{bad\r\n--b--',
      ),
    ).toHaveProperty('error');
  });

  it('other content types are not parsed', () => {
    expect(parseFormBody('text/plain', 'a=1')).toBeUndefined();
  });
});
