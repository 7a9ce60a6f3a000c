import { type Case, lit, opaque } from './harness.js';

/**
 * Builtins the WASM module implements itself (OPA's C library, not replaceable by mcp-authz): checked against
 * `opa eval` too, so that any difference is known and documented (docs/builtins.md).
 */
const call = (builtin: string, ...argLists: unknown[][]): Case[] => argLists.map((args) => ({ builtin, expr: `${builtin}(${args.map((a) => lit(a)).join(', ')})` }));
const c = (builtin: string, ...exprs: string[]): Case[] => exprs.map((expr) => ({ builtin, expr }));

// Left out, documented in docs/builtins.md: arithmetic beyond a double's precision or range (ceil(-0.5), which
// OPA 1.22 answers 1, floor(1e300), 1e308 * 10, sums of integers beyond 2^53).
export const NATIVE_CASES: Case[] = [
  ...call('regex.match', ['(?i)drop\\s+table', 'x DROP TABLE'], ['^a.c$', 'a\nc'], ['(?s)^a.c$', 'a\nc'], ['\\pL+', 'é'], ['[[:alpha:]]', '1a'], ['a{,2}', 'a{,2}'], ['(?U)a+', 'aa'], ['\\Qa.b\\E', 'a.b'], ['\\x{41}', 'A'], ['(?P<n>a)', 'a'], ['.', '\u2028'], ['\\s', '\u00a0'], ['^.$', '😀'], ['^\\C$', 'a'], ['(a+)+$', 'a'.repeat(3000) + '!'], ['\\b', 'é'], ['(?i)k', '\u212a']),
  ...call('regex.is_valid', ['(?<=a)b'], ['(a)\\1'], ['a{,2}'], ['\\pL'], ['[[:foo:]]'], ['(?P<a>x)(?P<a>y)'], ['\\C'], ['\\Q'], ['x{1001}'], ['(?i'], ['\\z'], ['\\Z']),
  ...call('regex.find_all_string_submatch_n', ['(a)(b)?', 'abab a', -1], ['(?i)x(y)', 'XYxy', 1], ['', 'ab', -1], ['(?P<n>é)', 'éé', -1]),
  ...call('glob.match', ['*.github.com', ['.'], 'api.github.com'], ['*.github.com', ['.'], 'api.cdn.github.com'], ['**.github.com', ['.'], 'api.cdn.github.com'], ['[a-c]?', [], 'bx'], ['{a,b}*', [], 'bz'], ['\\*', [], '*'], ['*', [], ''], ['a[!b]c', [], 'axc'], ['a[^b]c', [], 'axc']),
  ...c('glob.match', 'glob.match("*.x", null, "a.x")'),
  ...call('net.cidr_contains', ['10.0.0.0/8', '10.1.2.3'], ['10.0.0.0/8', '11.0.0.1'], ['10.0.0.0/8', '10.0.0.0/16'], ['::ffff:10.0.0.0/104', '10.1.2.3'], ['10.0.0.0/8', '::ffff:10.1.2.3'], ['::ffff:0.0.0.0/96', '1.2.3.4'], ['0.0.0.0/0', '::1'], ['2001:db8::/32', '2001:db8::1'], ['2001:db8::/32', '2001:db9::1'], ['010.0.0.0/8', '10.0.0.1'], ['10.0.0.0/8', '010.0.0.1'], ['10.0.0.0/33', '10.0.0.1'], ['fe80::/10', 'fe80::1%eth0']),
  ...call('net.cidr_intersects', ['10.0.0.0/8', '10.1.0.0/16'], ['10.0.0.0/8', '11.0.0.0/8'], ['::ffff:10.0.0.0/104', '10.0.0.0/8'], ['2001:db8::/32', '2001:db8:1::/48']),
  ...call('json.marshal', [{ b: 1, a: [1, 2, { z: null }] }], ['<&>'], ['é😀\u2028'], [12345678901234567890n], [1.5], [1e21], [0.000001], [[]], [{}]),
  ...c('json.marshal', 'json.marshal({"y", "x"})', 'json.marshal(1.0)', 'json.marshal(100000000000000000000000)', 'json.marshal({1: "a"})'),
  ...call('json.unmarshal', ['{"a":1,"a":2}'], ['[1, 2'], ['12345678901234567890'], ['1.0e2'], ['"\\ud800"'], [' {"a": "\\u00e9"} '], ['01'], ['{"a":1}x'], ['NaN']),
  ...call('json.is_valid', ['{}'], ['{"a":1,}'], ['01'], ['[1]  '], ['']),
  ...call('base64.decode', ['aGk='], ['aGk'], ['aG k='], ['aGk=\n'], ['/w=='], ['_w==']),
  ...call('base64url.decode', ['aGk'], ['aGk='], ['_w'], ['/w']),
  ...call('base64.is_valid', ['aGk='], ['aGk'], ['a']),
  ...call('to_number', ['1e3'], ['0x10'], [' 1'], ['-0'], ['12345678901234567890123']),
  ...call('format_int', [255, 16], [-255, 2], [1.9, 10], [12345678901234567890n, 36]),
  ...call('numbers.range', [1, 5], [5, 1], [0, 0]),
  ...call('strings.replace_n', [{ a: 'b', b: 'a' }, 'ab']),
  ...call('strings.reverse', ['abc😀é']),
  ...call('upper', ['straße é']), ...call('lower', ['İSTANBUL Σ']),
  ...call('trim_space', ['\u00a0 x \u2028']), ...call('trim', ['xxaxx', 'x']), ...call('trim_left', ['ééa', 'é']),
  ...call('split', ['a,b,,c', ','], ['abc', '']), ...call('replace', ['aaa', 'a', 'bb']), ...call('substring', ['héllo', 1, 3], ['héllo', 1, -1], ['héllo', 9, 1]),
  ...call('indexof', ['héllo', 'l'], ['abc', '']), ...call('concat', [',', ['a', 'b']]),
  ...call('round', [2.5], [-2.5], [0.49999999999999994]), ...call('ceil', [0.5]), ...call('abs', [-12345678901234567890n]),
  ...c('arith', '12345678901234567890 + 1', '0.1 + 0.2', '10 / 4', '7 % 3', '-7 % 3', '9007199254740993 - 1', '2 * 0.5 == 1'),
  ...call('count', ['héllo😀']), ...call('sum', [[1, 2.5, 3]]), ...call('max', [[1, 'a', null]]), ...call('sort', [[3, 'a', null, [1], { a: 1 }, true]]),
  ...call('object.get', [{ a: { b: 1 } }, ['a', 'b'], 0], [{ a: 1 }, 'x', 'd']), ...call('object.union_n', [[{ a: 1 }, { a: { b: 2 } }]]), ...call('object.remove', [{ a: 1, b: 2 }, ['a']]),
  ...call('object.filter', [{ a: 1, b: 2 }, ['a', 'z']]), ...call('json.filter', [{ a: { b: 1, c: 2 } }, ['a/b']]), ...call('json.remove', [{ a: { b: 1, c: 2 } }, ['a/b']]),
  ...call('array.slice', [[1, 2, 3], 1, 9], [[1, 2, 3], -1, 2]), ...call('array.reverse', [[1, 2]]), ...call('array.flatten', [[1, [2, [3]]]]),
  ...call('bits.lsh', [1, 70], [-1, 1]), ...call('bits.rsh', [-8, 1]), ...call('bits.and', [12345678901234567890n, 255]),
  ...call('type_name', [1.5], [null]), ...call('startswith', ['é', '']), ...call('endswith', ['😀', '😀']), ...call('contains', ['abc', '']),
  ...c('template', '$"x{1 + 1}y"', '$"{[1, "a"]}"', '$"{"é"}"'),
  ...c('object.keys', 'sort(object.keys({"b": 1, "a": 2}))'),
  ...c('graph.reachable', 'sort(graph.reachable({"a": ["b"], "b": ["c"], "c": []}, ["a"]))'),
  ...c('walk', 'count([x | walk({"a": [1, {"b": 2}]}, x)])'),
  ...c('count', `count(${opaque([1, 2])})`),
];
