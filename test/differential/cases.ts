import { type Case, lit, opaque } from './harness.js';

/**
 * Hand-written differential cases: ordinary, boundary and hostile arguments for every builtin mcp-authz provides
 * to WASM policies. Each is one Rego expression evaluated by `opa eval` and by mcp-authz; they must agree.
 */
const c = (builtin: string, ...exprs: string[]): Case[] => exprs.map((expr) => ({ builtin, expr }));
/** An argument spelled as Rego source rather than a JSON literal. */
class Src {
  constructor(readonly rego: string) {}
}
const call = (builtin: string, ...argLists: unknown[][]): Case[] => argLists.map((args) => ({ builtin, expr: `${builtin}(${args.map((a) => (a instanceof Src ? a.rego : lit(a))).join(', ')})` }));

const NS = [
  0, 1, -1, 1700000000000000000n, 1700006399999999999n, 1700006400000000000n, -1000000000, -1, -999999999, 86399999999999n,
  951782400000000000n, 951868799999999999n, 253402300799999999999n, 9223372036854775807n, -9223372036854775808n, 9223372036854775808n,
  1.5, 1e18, 1.7e18, 4102444800000000000n, -62135596800000000000n, 1234567890123456789n, 1709251199999999999n, 1709251200000000000n,
];
const nsLit = (n: number | bigint): string => (typeof n === 'bigint' ? n.toString() : String(n));
const ZONES = ['UTC', '', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns', 'Asia/Kathmandu', 'US/Eastern', 'EST5EDT', 'Etc/GMT+5', 'america/new_york', 'Mars/Olympus', '+05:00', 'GMT', 'Europe/Kyiv', 'Asia/Calcutta'];

const time: Case[] = [
  ...NS.flatMap((n) => ['time.date', 'time.clock', 'time.weekday'].map((b) => ({ builtin: b, expr: `${b}(${nsLit(n)})` }))),
  ...ZONES.flatMap((z) => ['time.date', 'time.clock', 'time.weekday'].flatMap((b) => [1700006399999999999n, 1710054000000000000n, 1730613600000000000n, -1].map((n) => ({ builtin: b, expr: `${b}([${n}, ${lit(z)}])` })))),
  // Forms the type checker refuses in source but a policy can still pass at run time (from input or data).
  ...[[0, 'UTC', 'RFC3339'], [0], [], [0, 5], ['0', 'UTC'], 'x', [0, 'UTC', 7], [0, 'UTC', 'x', 'y'], [1700006399999999999n, 'Asia/Tokyo', 'ANSIC'], null, true, { a: 1 }].flatMap((v) =>
    ['time.date', 'time.clock', 'time.weekday'].map((b) => ({ builtin: b, expr: `${b}(${opaque(v)})` })),
  ),
  ...c('time.date', 'time.date([1e3, "UTC"])', 'time.date([1.0, "UTC"])', 'time.date(1.0)', 'time.date(1e0)'),
  ...c('time.clock', 'time.clock(-62135596800000000001)'),
  ...call('time.parse_rfc3339_ns',
    ['2023-11-14T22:13:20Z'], ['2023-11-14T22:13:20.123456789Z'], ['2023-11-14T22:13:20.1234567891234Z'], ['2023-11-14t22:13:20Z'], ['2023-11-14T22:13:20z'],
    ['2023-11-14T22:13:20+99:99'], ['2023-11-14T22:13:20+24:00'], ['2023-11-14T22:13:20+23:60'], ['2023-11-14T22:13:20-07:00'], ['0000-01-01T00:00:00Z'],
    ['0099-12-31T23:59:59Z'], ['1677-09-21T00:12:43.145224192Z'], ['1677-09-21T00:12:43.145224191Z'], ['2262-04-11T23:47:16.854775807Z'], ['2262-04-11T23:47:16.854775808Z'],
    ['2024-02-29T00:00:00Z'], ['2023-02-29T00:00:00Z'], ['2023-11-14T5:13:20Z'], ['2023-11-14T22:13:20,5Z'], ['2023-11-14T22:13:20.Z'], ['2023-11-14T24:00:00Z'],
    ['2023-11-14T22:60:00Z'], ['2023-11-14T22:13:60Z'], ['2023-11-14 22:13:20Z'], ['2023-11-14T22:13:20'], ['2023-11-14T22:13:20+0100'], [' 2023-11-14T22:13:20Z'],
    ['2023-11-14T22:13:20Z '], ['+2023-11-14T22:13:20Z'], ['20231-11-14T22:13:20Z'], ['2023-1-14T22:13:20Z'], ['2023-11-14T22:13:20.000000000000000000001+01:00'], [''], ['9999-12-31T23:59:59Z'],
  ),
  ...c('time.parse_rfc3339_ns', `time.parse_rfc3339_ns(${opaque(1)})`),
  ...call('time.parse_duration_ns',
    ['1h30m'], ['-1.5s'], ['300ms'], ['1d'], ['1.5d'], ['2w'], ['1y'], ['0.1d'], ['1d12h'], ['-1w2d'], ['+3y'], ['1us'], ['1µs'], ['1μs'], ['1ns'],
    ['0'], ['-0'], ['+0'], [''], ['1'], ['1x'], ['.5h'], ['5.h'], ['.h'], ['1h '], [' 1h'], ['2562047h47m16.854775807s'], ['2562047h47m16.854775808s'],
    ['-2562047h47m16.854775808s'], ['9223372036854775807ns'], ['9223372036854775808ns'], ['-9223372036854775808ns'], ['106751d'], ['106752d'], ['292y'], ['293y'],
    ['1'.repeat(400) + 's'], ['0.' + '1'.repeat(40) + 'h'], ['1.0000000000000000000001h'], ['1D'], ['1dd'], ['1.2.3d'], ['1μsd'], ['1d1μs'], ['1mo'], ['3m2d'], ['0.000000001s'], ['1e3s'],
  ),
  ...NS.slice(0, 12).flatMap((n) => [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, -1], [-1, 0, 0], [0, 13, 0], [0, -13, 40]].map((ymd) => ({ builtin: 'time.add_date', expr: `time.add_date(${nsLit(n)}, ${ymd.join(', ')})` }))),
  ...c('time.add_date', 'time.add_date(1706659200000000000, 0, 1, 0)', 'time.add_date(1709164800000000000, 1, 0, 0)', 'time.add_date(0, 9223372036854775807, 0, 0)', 'time.add_date(0, 0, 0, 106752)', 'time.add_date(0, 0, 0, 106751)',
    'time.add_date(0, 1.5, 0, 0)', `time.add_date(${opaque([1710054000000000000n, 'America/New_York'])}, 0, 0, 1)`, `time.add_date(${opaque([1730613600000000000n, 'America/New_York'])}, 0, 0, -1)`, `time.add_date(${opaque([1709164800000000000n, 'Asia/Kolkata'])}, 0, 1, 1)`, 'time.add_date(9223372036854775807, 0, 0, 0)', 'time.add_date(0, 0, 0, 9223372036854775808)'),
  ...c('time.diff', 'time.diff(0, 1700006399999999999)', 'time.diff(1700006399999999999, 0)', 'time.diff([0, "America/New_York"], [1700006399999999999, "Asia/Tokyo"])', 'time.diff(951782400000000000, 954460800000000000)',
    'time.diff(954460800000000000, 951782400000000000)', 'time.diff(1706659200000000000, 1709251199999999999)', 'time.diff(0, 0)', 'time.diff(-1, 1)', `time.diff(${opaque('x')}, 1)`),
  ...c('time.now_ns', 'time.now_ns() > 1700000000000000000', 'time.now_ns() == time.now_ns()'),
];

const regex: Case[] = [
  ...call('regex.find_n',
    ['(?i)drop\\s+table', 'x DROP  TABLE y; drop table z', -1], ['(?s)a.b', 'a\nb', -1], ['(?m)^x', 'x\nx\nyx', -1], ['(?U)a+', 'aaa', -1], ['\\pL+', 'héllo wörld 123', -1], ['\\p{Greek}+', 'abc αβγ', -1],
    ['[[:alpha:]]+', 'ab1cd', -1], ['\\Qa.b\\E', 'a.b axb', -1], ['a\\z', 'aa', -1], ['\\x{41}+', 'AAB', -1], ['(?P<n>a)b', 'abab', 1], ['a{,2}', 'a{,2}', -1], ['.', 'a\rb\u2028', -1], ['\\s', 'a\u00a0b c\td', -1],
    ['(?<=a)b', 'ab', -1], ['(?=a)', 'a', -1], ['(a)\\1', 'aa', -1], ['(a+)+$', 'a'.repeat(5000) + '!', -1], ['', 'abc', -1], ['x*', 'a😀b', -1], ['a|', 'aba', -1], ['[', 'x', -1], ['a', 'aaaa', 2],
    ['a', 'aaaa', 0], ['a', 'aaaa', 9223372036854775807n], ['a', 'aaaa', 9223372036854775808n], ['a', 'aaaa', 1.5], ['\\d+', '12 345 6789', -2], ['\\C', 'a', -1], ['(?i)ǅ', 'ǄǅǆDŽ', -1], ['\\b\\w+\\b', 'héllo wörld', -1],
    ['[^a]', '😀a\u00ff', -1], ['(?i)k', 'Kk\u212a', -1], ['a{1001}', 'a', -1], ['a{1000}', 'a', -1], ['((((((((((a))))))))))', 'aa', -1], ['\\', 'x', -1], ['(?P<a>x)(?P<a>y)', 'xy', -1], ['\\8', '8', -1],
  ),
  ...call('regex.replace',
    ['abc', 'b', 'x'], ['abab', '(a)(b)', '$2$1'], ['abab', '(a)(b)', '$1a'], ['abab', '(a)(b)', '${1}a'], ['abab', '(a)(b)', '$0'], ['abab', '(a)(b)', '$&'], ['abab', '(a)(b)', '$$'], ['abab', '(a)(b)', '$'],
    ['abab', '(?P<first>a)(b)', '[${first}]'], ['abab', '(?P<first>a)(b)', '[$first]'], ['abab', '(a)(b)', '${9}'], ['abab', '(a)(b)', '$01'], ['abab', '(a)(b)', '${}'], ['abab', '(a)(b)', '${1'], ['aaa', 'a*', '-'],
    ['abc', '', '-'], ['abc', 'x*', '-'], ['a😀b', '', '-'], ['héllo', '(?i)É', 'e'], ['DROP TABLE', '(?i)drop\\s+table', 'x'], ['ab', '(?<=a)b', 'x'], ['a\nb', '(?s).', 'x'], ['aaa', 'a{,2}', 'x'], ['x', '[', 'y'],
    ['a' .repeat(3000) + '!', '(a+)+$', 'x'], ['abc', 'b', '$1'], ['baaab', 'a+?', 'x'], ['abc', '(b)|(z)', '[$2]'], ['abcabc', 'b', '${0}${0}'], ['xy', '(?P<a>x)(?P<a>y)', '[$a|$2|${a}]'], ['xy', '(?P<a>z)?(?P<a>y)', '[$a]'], ['x[y', '[(?P<a>]x(?P<a>\\[)', '$a'],
  ),
  ...call('regex.split',
    ['a', 'banana'], [',', 'a,b,,c,'], ['', 'abc'], ['x*', 'axbxxc'], ['(?i)X', 'axbXc'], [',', ''], ['', ''], ['a*', 'baaac'], ['\\s+', '  a b  '], ['[', 'a'], ['😀', 'a😀b😀'], ['$', 'ab'], ['^', 'ab'], ['(?m)$', 'a\nb'],
    ['a|', 'bab'],
  ),
];

const jwtSeg = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = (h: unknown, p: unknown, sig = 'c2ln'): string => `${jwtSeg(h)}.${jwtSeg(p)}.${sig}`;
const inner = jwt({ alg: 'HS256' }, { sub: 'inner' });
const jwts: Case[] = call('io.jwt.decode',
  [jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'a', exp: 1700000000 })], [jwt({ alg: 'RS256' }, { big: 12345678901234567890, f: 1.0e10, x: 0.1, n: -0, e: 1e400 / 1e400 || 1e-7 })],
  [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg('{"big":123456789012345678901234567890,"f":1.50,"e":1E+2}')}.c2ln`],
  [jwt({ alg: 'dir', enc: 'A128GCM' }, { a: 1 })], [jwt({ alg: 'HS256', cty: 'JWT' }, inner)], [jwt({ alg: 'HS256', cty: 'JWT' }, `"${inner}"`)], [jwt({ alg: 'HS256', cty: 'jwt' }, { a: 1 })],
[`${jwtSeg({ alg: 'HS256' })}=.${jwtSeg({ a: 1 })}.c2ln`], [`${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}.${jwtSeg({ a: 1 })}.c2ln`],
  [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}.c2lnb`], [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}.c2lnbm`], [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}.`], [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}.c2l+`],
  [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg([1, 2])}.c2ln`], [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}`], ['a.b.c.d'], ['nodots'], [''], [`${jwtSeg('{"a":1,"a":2}')}.${jwtSeg('{"x":1,"x":2}')}.c2ln`],
  [`${jwtSeg({ alg: 'HS256' })}.${jwtSeg({ a: 1 })}.c2ln\n`], [`${jwtSeg({ alg: 'HS256' })}.${Buffer.from('{"a":"\xff"}', 'latin1').toString('base64url')}.c2ln`], [`${jwtSeg({ alg: 'none' })}.${jwtSeg({ a: 'é😀' })}.`],
  [`e30.e30.e30`], [`e30=.e30.e30`], [`e30==.e30.e30`], [`e3.e30.e30`],
);

const net: Case[] = call('net.cidr_is_valid',
  ['10.0.0.0/8'], ['010.0.0.0/8'], ['0x0a.0.0.0/8'], ['10.0.0.0/33'], ['10.0.0.0/32'], ['10.0.0.0/008'], ['10.0.0/8'], ['10.0.0.0.0/8'], ['256.0.0.0/8'], ['10.0.0.0'], ['10.0.0.0/'], ['10.0.0.0/-1'], ['10.0.0.0/ 8'],
  ['::/0'], ['::1/128'], ['::1/129'], ['2001:db8::/32'], ['2001:DB8::/32'], ['::ffff:10.0.0.0/104'], ['::ffff:10.0.0.0/8'], ['fe80::1%eth0/64'], ['1:2:3:4:5:6:7:8/64'], ['1:2:3:4:5:6:7::/64'], ['1:2:3:4:5:6:7:8::/64'],
  ['12345::/16'], ['1::2::3/64'], [':1::/64'], ['1:/64'], ['::1.2.3.4/128'], ['1:2:3:4:5:6:1.2.3.4/128'], ['1:2:3:4:5:6:7:1.2.3.4/128'], ['::01.2.3.4/128'], ['10.0.0.0/16777216'], [''], ['/8'], [new Src(opaque(5))],
);

const strs: Case[] = [
  ...call('strings.any_prefix_match', ['abc', 'a'], ['abc', ['x', 'ab']], [['x', 'y'], 'y'], [[], 'a'], ['a', []], ['', ''], ['abc', ['']]),
  ...c('strings.any_prefix_match', `strings.any_prefix_match({"ab", "cd"}, {"c"})`, `strings.any_prefix_match(${opaque(['a', 1])}, "a")`, `strings.any_prefix_match("a", ${opaque(['a', 1])})`, `strings.any_prefix_match(${opaque(1)}, "a")`),
  ...call('strings.any_suffix_match', ['abc', 'c'], ['abc', ['x', 'bc']], [['x', 'y'], 'y'], ['😀', '\ude00'.slice(0, 0) + '😀'], ['a', ['']]),
  ...c('strings.any_suffix_match', `strings.any_suffix_match(${opaque(['a', null])}, "a")`),
  ...call('strings.count', ['cheese', 'e'], ['five', ''], ['😀😀', ''], ['aaaa', 'aa'], ['', ''], ['abc', 'abcd']),
  ...call('urlquery.encode', ['a b&c=d/e?f'], ['é😀'], ["!'()*~-_."], ['']),
  ...call('urlquery.decode', ['a+b%20c'], ['%ff'], ['%e2%82'], ['%zz'], ['%'], ['%4'], ['a;b'], ['%C3%A9'], ['%ed%a0%80'], ['+%2B']),
  ...call('urlquery.encode_object', [{ b: 'x y', a: ['1', '2'] }], [{ a: [] }], [{ é: 'z', z: 'é', Z: 'a', '😀': '1', '\uffff': '2' }], [new Src(opaque({ a: 1 }))], [new Src(opaque({ a: [1] }))], [{}]),
  ...c('urlquery.encode_object', 'urlquery.encode_object({"a": {"y", "x"}})'),
  ...call('urlquery.decode_object', ['a=1&b=2&a=3'], ['a=1;b=2'], ['a=%ff'], ['a=%zz&b=1'], ['=1&a'], ['&&a=&'], ['a+b=c+d'], [''], ['a=1&b=%']),
  ...call('units.parse_bytes',
    ['10KB'], ['10KiB'], ['10kb'], ['10k'], ['1.5Mi'], ['1.1kb'], ['0.1kb'], ['1e3'], ['1e3KB'], ['1E3'], ['-1kb'], ['+5'], ['5 kb'], [' 5kb'], ['"5kb"'], ['kb'], [''], ['1.'], ['.5k'], ['1e'], ['1ei'], ['1eb'],
    ['1e9999999'], ['1e-3'], ['1.2.3'], ['1-2'], ['12345678901234567890123'], ['0.3333333333333333333333'], ['18446744073709551616'], ['1x'], ['1KIB'], ['1kB'], ['9.999999999999999999e18'], ['1e+3'], ['1e-3kb'],
  ),
  ...call('units.parse',
    ['10K'], ['10Ki'], ['10m'], ['1.5M'], ['10mi'], ['10MI'], ['10Mi'], ['1e3'], ['1e-3'], ['1.1m'], ['3m'], ['0.0000000001m'], ['0.00000000001m'], ['-1m'], ['-5'], ['5 k'], ['"5k"'], ['k'], [''], ['1E'], ['1e'],
    ['1e9999999'], ['12345678901234567890123'], ['1KB'], ['1kb'], ['1Kb'], ['0.1'], ['1/2'], ['1.'], ['.5'], ['1ki'], ['1mI'], ['7m'], ['2.5m'], ['1.0000000000000000001'], ['1e+2k'],
  ),
  ...call('numbers.range_step', [0, 10, 3], [10, 0, 3], [0, 0, 1], [0, 10, 0], [0, 10, -1], [0, 10, 1.5], [1.5, 10, 1], [9223372036854775800n, 9223372036854775810n, 3], [-5, 5, 5], [0, 10, 100]),
];

const crypto: Case[] = [
  ...call('crypto.sha256', ['abc'], [''], ['é😀']), ...call('crypto.sha1', ['abc']), ...call('crypto.md5', ['abc']),
  ...call('crypto.hmac.sha256', ['msg', 'key']), ...call('crypto.hmac.sha1', ['msg', 'key']), ...call('crypto.hmac.sha512', ['msg', '']), ...call('crypto.hmac.md5', ['msg', 'key']),
  ...call('crypto.hmac.equal', ['a', 'a'], ['a', 'b'], ['', ''], ['é', 'é']),
  ...call('hex.encode', ['abc'], ['é😀'], ['']), ...call('hex.decode', ['616263'], ['6162'], ['ff'], ['e282'], ['e28241'], ['zz'], ['616'], [''], ['F0'], ['f09f9880']),
];

const yamlMarshal: Case[] = [
  ...call('yaml.marshal', ['a\u0085b'], ['\u0085'], ['a \u0085 b'], ['a\u0085\u0085b'], [{ 'a\u0085b': 1 }], [{ ['k'.repeat(1022)]: 1 }], [{ ['k'.repeat(1023)]: 1 }], [{ 'x\ny': [1, 2] }], [{ 'x\ny': { a: 1 } }], [{ ['z'.repeat(200)]: 1 }]),
  ...call('yaml.marshal', [{ b: 1, a: [1, 2, { z: null, y: true }] }], [{ a10: 1, a2: 2, a1: 3, B: 4, b: 5, _: 6, '1': 7, '10': 8, '9': 9 }], ['plain'], ['yes'], ['on'], ['true'], ['1.5'], ['0x10'], ['a: b'], ['- x'], ['line1\nline2'],
    ['line1\nline2\n'], [''], [' lead'], ['trail '], ['#c'], ['é😀'], [12345678901234567890n], [1.5], [1e21], [0.000001], [[]], [{}], [null], [[[1, 2], [3]]], [{ a: { b: { c: [] } } }], ['~'], ['null'], ['2001-01-01'], ['1:20'], ['@x'], ['`x'], ["'q'"], ['"q"'],
    ['a'.repeat(100) + ' ' + 'b'.repeat(100)], [('word '.repeat(30)).trim()], ['\t'], ['\u0007'], [{ 'key with spaces': 'v', 'k:': 'v', '': 'empty' }]),
];
const yaml: Case[] = [
  ...call('yaml.unmarshal', ['a: 1\nb: [1, 2]'], ['on: push'], ['a: yes'], ['a: 0x10'], ['a: 0o10'], ['a: 010'], ['a: 1e3'], ['a: .inf'], ['a: ~'], ['a: 2001-01-01'], ['- a\n- b'], ['a: 1\na: 2'], ['a: &x 1\nb: *x'],
    ['base: &b\n  k: 1\nd:\n  <<: *b\n  j: 2'], ['a: 1\n---\nb: 2'], [''], ['{'], ['a: [1, 2'], ['a: 12345678901234567890'], ['a: 1.0'], ['a: -0'], ['"x"'], ['1: a\ntrue: b'], ['null: a'], ['a: !!str 1'], ['a: !!binary aGk='],
    ['a: b: c'], ['\t- a'], ['a: 08'], ['a: 0x1F'], ['a: -0x10'], ['a: 0b101'], ['a: -0b101'], ['a: 0o17'], ['a: 1_000'], ['a: +5'], ['a: -0.0'], ['a: .5'], ['a: 1e400'],
    ['a: 18446744073709551615'], ['a: 18446744073709551616'], ['a: -9223372036854775809'], ['a: True'], ['a: yes'], ['a: Off'], ['a: NULL'], ['a: !!int "12"'], ['a: !!int x'], ['a: !!float 1'],
    ['a: !!str 1.5'], ['a: !!bool true'], ['a: ! 12'], ['a: !foo 12'], ['a: !!binary |\n  aGVs\n  bG8='], ['a: !!binary "***"'], ['1.5: x\n2: y\nfalse: z'], ['0.1: x'], ['1e21: x'], ['~: x'],
    ['[1, 2]: x'], ['a:\n  <<: [{x: 1}, {x: 2, y: 3}]\n  y: 4'], ['a: &a {x: 1}\nb:\n  <<: *a\n  <<: {y: 2}'], ['a: *nope'], ['a: "\\x41\\u00e9\\U0001F600"'], ["a: 'it''s'"],
    ['a: >\n  folded\n  text\n'], ['a: |+\n  keep\n\n'], ['- - 1\n  - 2\n- 3'], ['{a: 1, b: [x, y]}'], ['a: 2001-12-14t21:59:43.10-05:00'], ['a: .NaN'], ['a: -.inf'], ['---\n...\n'], ['# only a comment'],
    ['a: 1 # c'], ['a: "x" y'], ['%YAML 1.2\n---\na: 1'], ['a: [1, 2]]']),
  ...call('yaml.is_valid', ['a: 1'], ['{'], [''], ['a: 1\n---\n{'], ['a: 1\na: 2'], ['null: a'], ['? [1]\n: v'], ['a: !!int x'], ['a: .inf'], ['a: *x'], ['- a\nb: c']),
];

const FORMATS = ['%v', '%d', '%s', '%q', '%x', '%X', '%o', '%O', '%b', '%c', '%U', '%#U', '%e', '%E', '%f', '%F', '%g', '%G', '%t', '%T', '%5d', '%-5d|', '%05d', '%+d', '% d', '%.2f', '%8.3f', '%-8.3f|', '%08.3f', '%+.1e', '%#x', '%#o', '%#v', '%+v', '%.0f', '%.3g', '%#g', '%10s|', '%-10s|', '%.2s', '%x', '% x', '%# x', '%#q', '%+q', '%.0d', '%6.2v', '%w', '%!', '%z', '%'];
const VALUES: string[] = ['0', '42', '-42', '1.5', '-0.0', '1.0', '100000000', '123456789.0', '1e21', '0.000001', '1e-7', '0.1', '2.675', '12345678901234567890', '-12345678901234567890', '9223372036854775807', '"héllo"', '""', String.raw`"a\tb\u0000"`, '"😀"', 'true', 'null', '[1, "a", [true]]', '{"b": 1, "a": "x"}', '{3, 1, "z"}', 'set()', '65', '128512', '1114112', '-1', '0.125', '1e100', '5e-324'];
const sprintfs: Case[] = [
  ...FORMATS.flatMap((f) => VALUES.map((v) => ({ builtin: 'sprintf', expr: `sprintf(${lit(f)}, [${v}])` }))),
  ...c('sprintf',
    'sprintf("%s requests without an MCP message are not allowed", ["POST"])', 'sprintf("%s (%s, %s)", ["a", "b", "c"])', 'sprintf("%d", [1.5])', 'sprintf("%v", [{"a": [1, 2]}])', 'sprintf("%s", [{"a": {"b": set()}}])',
    'sprintf("%d %d", [1])', 'sprintf("%d", [1, 2])', 'sprintf("%[2]d %[1]d", [1, 2])', 'sprintf("%[3]d", [1, 2])', 'sprintf("%[0]d", [1])', 'sprintf("%[x]d", [1])', 'sprintf("%*d", [5, 1])', 'sprintf("%-*d|", [5, 1])',
    'sprintf("%*d", [-5, 1])', 'sprintf("%*d", ["a", 1])', 'sprintf("%.*f", [2, 3.14159])', 'sprintf("%.*f", [-2, 3.14159])', 'sprintf("%[1]*d", [3, 4])', 'sprintf("%[2]*[1]d", [12, 5])', 'sprintf("%3.[2]d", [7])',
    'sprintf("%d%%", [50])', 'sprintf("%5%", [])', 'sprintf("no verbs", [])', 'sprintf("no verbs", [1])', 'sprintf("%", [1])', 'sprintf("%-", [1])', 'sprintf("%.", [1])', 'sprintf("é%sé", ["ü"])', 'sprintf("%é", [1])',
    'sprintf("%1000001d", [1])', 'sprintf("%.1000001d", [1])', 'sprintf("%x", [-255])', 'sprintf("%08b", [5])', 'sprintf("%+.3e", [-0.0])', 'sprintf("%#.0f", [1])', 'sprintf("%#.0e", [1.0])', 'sprintf("%#x", [1.0])', 'sprintf("%x", [1.0])',
    'sprintf("%.3x", [3.14159])', 'sprintf("%b", [1.0])', 'sprintf("%010.3f", [-3.14159])', 'sprintf("%-010.3f|", [3.14159])', 'sprintf("%+010d", [42])', 'sprintf("% 010d", [42])', 'sprintf("%#08x", [255])', 'sprintf("%x", ["héllo"])',
    'sprintf("%.1x", ["héllo"])', 'sprintf("%.3q", ["héllo"])', 'sprintf("%q", ["\\u00a0\\u200b\\u007f"])', 'sprintf("%+q", ["é😀"])', 'sprintf("%#q", ["a`b"])', 'sprintf("%#q", ["a\\tb"])', 'sprintf("%c", [55296])', 'sprintf("%q", [55296])',
    'sprintf("%U", [-1])', 'sprintf("%d", [1e400])', 'sprintf("%v", [1e400])', 'sprintf("%s", [1.5])', 'sprintf("%040d", [12345678901234567890])', 'sprintf("%-40d|", [12345678901234567890])', 'sprintf("%.30d", [-12345678901234567890])',
    'sprintf("%+v", [12345678901234567890])', 'sprintf("%#x", [12345678901234567890])', 'sprintf("%#X", [12345678901234567890])', 'sprintf("%O", [12345678901234567890])', 'sprintf("%.0d", [0])', 'sprintf("%5.0d|", [0])',
    'sprintf("%.20f", [0.1])', 'sprintf("%.17g", [0.1])', 'sprintf("%.1f", [0.25])', 'sprintf("%.1f", [0.35])', 'sprintf("%.0f", [0.5])', 'sprintf("%.0f", [1.5])', 'sprintf("%.0f", [2.5])', 'sprintf("%.2e", [1.125])', 'sprintf("%g", [1e-5])',
    'sprintf("%g", [0.0001])', 'sprintf("%G", [1e-10])', 'sprintf("%.3g", [1234567.0])', 'sprintf("%.10g", [1234567.0])', 'sprintf("%#.3g", [1.0])', 'sprintf("%#g", [100000.0])', 'sprintf("%#g", [1e6])', 'sprintf("%v", [1.7976931348623157e308])',
    'sprintf("%s", [["a", {"k": null}]])', 'sprintf("%v", [{1: "a", "b": [1.50]}])', 'sprintf("%q", [{"a": "é\\n"}])', 'sprintf("%d", ["7"])',
  ),
  ...c('sprintf', `sprintf(${opaque('%d')}, ${opaque('notarray')})`, `sprintf(${opaque(5)}, [1])`, `sprintf("%v", ${opaque([1.5, 10, 1e3, 1.0])})`),
];

// %p prints a memory address (a *big.Int's): OPA's answer is not reproducible, mcp-authz's is undefined.
const pointers: Case[] = VALUES.filter((v) => !/^-?1234567890123456789\d$/.test(v)).map((v) => ({ builtin: 'sprintf', expr: `sprintf("%p", [${v}])` }));

export const CASES: Case[] = [...time, ...regex, ...jwts, ...net, ...strs, ...crypto, ...sprintfs, ...pointers, ...yaml, ...yamlMarshal];

