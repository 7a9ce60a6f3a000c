import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { identityConfigSchema, type IdentityConfig, type IdentityConfigInput } from '../../../src/identity/config.js';

export const ISS = 'https://idp.example.com/';
export const AUD = 'mcp-gateway';
/** A fixed clock for the resolver (ms) and the matching NumericDate (s). */
export const NOW_MS = Date.UTC(2030, 0, 15, 12, 0, 0);
export const NOW = NOW_MS / 1000;
export const now = () => NOW_MS;

export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey | KeyObject;
  publicKey: CryptoKey | KeyObject;
  jwk: JWK;
}

export async function makeKey(alg: string, kid = `kid-${alg}`): Promise<TestKey> {
  const kp = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, ...kp, jwk: { ...(await exportJWK(kp.publicKey)), kid, alg, use: 'sig' } };
}

export const jwks = (...keys: TestKey[]) => ({ keys: keys.map((k) => k.jwk) });

export function writeJwksFile(doc: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mcp-authz-identity-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export interface TokenOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  iss?: string | null;
  aud?: string | string[] | null;
  exp?: number | null;
  nbf?: number;
  kid?: string | null;
}

/** A real token signed by `key`, valid at NOW unless told otherwise. */
export async function sign(key: TestKey, o: TokenOptions = {}): Promise<string> {
  const payload: Record<string, unknown> = { sub: 'user-1', iat: NOW - 60, ...o.claims };
  if (o.iss !== null) payload.iss = o.iss ?? ISS;
  if (o.aud !== null) payload.aud = o.aud ?? AUD;
  if (o.exp !== null) payload.exp = o.exp ?? NOW + 300;
  if (o.nbf !== undefined) payload.nbf = o.nbf;
  const kid = o.kid === null ? {} : { kid: o.kid ?? key.kid };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...kid, ...o.header }).sign(key.privateKey);
}

export const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function config(input: IdentityConfigInput = {}): IdentityConfig {
  return identityConfigSchema.parse(input);
}

/** A bearer-token configuration over a JWKS file. */
export function jwtConfig(jwksFile: string, jwt: Record<string, unknown> = {}, rest: Omit<IdentityConfigInput, 'jwt'> = {}): IdentityConfig {
  return config({ jwt: { enabled: true, jwks_file: jwksFile, issuers: [ISS], audiences: [AUD], ...jwt }, ...rest });
}
