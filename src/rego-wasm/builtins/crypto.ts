import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isString } from './exact-json.js';
import { goUtf8Decode } from './go-encoding.js';

const digest = (alg: string) => (s: unknown) => (isString(s) ? createHash(alg).update(s, 'utf8').digest('hex') : undefined);
const hmac = (alg: string) => (s: unknown, key: unknown) =>
  isString(s) && isString(key) ? createHmac(alg, Buffer.from(key, 'utf8')).update(s, 'utf8').digest('hex') : undefined;

export const cryptoBuiltins = {
  'crypto.sha256': digest('sha256'),
  'crypto.sha1': digest('sha1'),
  'crypto.md5': digest('md5'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.md5': hmac('md5'),
  /** Constant-time comparison of two MACs (Go's hmac.Equal over the strings' bytes). */
  'crypto.hmac.equal': (a: unknown, b: unknown) => {
    if (!isString(a) || !isString(b)) return undefined;
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  },
  'hex.encode': (s: unknown) => (isString(s) ? Buffer.from(s, 'utf8').toString('hex') : undefined),
  /** Go's hex.DecodeString: even length, hex digits only; bytes that are not UTF-8 show as U+FFFD, as in OPA. */
  'hex.decode': (s: unknown) => (isString(s) && /^([0-9a-fA-F]{2})*$/.test(s) ? goUtf8Decode(Buffer.from(s, 'hex')) : undefined),
};
