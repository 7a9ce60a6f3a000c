import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type FetchImplementation, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';

/** Where verification keys come from: `getKey` is handed to jose's jwtVerify. */
export interface KeySource {
  getKey: JWTVerifyGetKey;
  close(): void;
}

/** The key set cannot be had (never fetched successfully, fetch failed or rate-limited, source closed). */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

/** Members that only private or symmetric JWKs carry. A verification key set must not hold secrets. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** Check that a parsed JSON document is a JWKS of public keys; `origin` names it in the error. */
export function checkPublicJwks(json: unknown, origin: string): JSONWebKeySet {
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new AuthzError(STARTUP_ERROR.jwks_invalid, `${origin}: not a JWKS (expected {"keys": [...]} with at least one key)`);
  keys.forEach((k, i) => {
    if (!k || typeof k !== 'object' || Array.isArray(k)) throw new AuthzError(STARTUP_ERROR.jwks_invalid, `${origin}: keys[${i}] is not an object`);
    const jwk = k as Record<string, unknown>;
    if (typeof jwk.kty !== 'string') throw new AuthzError(STARTUP_ERROR.jwks_invalid, `${origin}: keys[${i}] has no kty`);
    if (jwk.kty === 'oct')
      throw new AuthzError(STARTUP_ERROR.jwks_invalid, `${origin}: keys[${i}] is a symmetric (oct) key; use jwt.hs_secret for HS* tokens`);
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret)
      throw new AuthzError(STARTUP_ERROR.jwks_invalid, `${origin}: keys[${i}] holds private key material ("${secret}"); publish public keys only`);
  });
  return json as JSONWebKeySet;
}

/** A local JWKS file, read and checked once (at startup, by the factory). Problems throw AuthzError. */
export function localKeySource(path: string): KeySource {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AuthzError(STARTUP_ERROR.jwks_invalid, `jwt.jwks_file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let getKey: JWTVerifyGetKey;
  try {
    getKey = createLocalJWKSet(checkPublicJwks(json, `jwt.jwks_file ${path}`));
  } catch (err) {
    if (err instanceof AuthzError) throw err;
    throw new AuthzError(STARTUP_ERROR.jwks_invalid, `jwt.jwks_file ${path}: ${(err as Error).message}`);
  }
  return { getKey, close() {} };
}

export interface RemoteKeySourceOptions {
  url: string;
  /** Keys older than this are refetched in the background; the old keys stay in use until new ones arrive. */
  refreshMs: number;
  timeoutMs: number;
  /** After a fetch, the next one (for an unknown kid, or a refresh) waits at least this long. */
  minIntervalMs: number;
  /** After a failed fetch, the next attempt waits min(minIntervalMs, this). */
  failureRetryMs?: number;
  /** Largest accepted JWKS response body. */
  maxBytes?: number;
  /** Monotonic clock in milliseconds (tests). */
  clock?: () => number;
  /** Failed fetches are logged (`JWKS fetch failed`, warn), and the first success after failures (info). */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

const DEFAULT_MAX_JWKS_BYTES = 1024 * 1024;

/**
 * A remote JWKS built on jose's createRemoteJWKSet, which does the fetching (timeout, no redirects, one fetch in
 * flight at a time) and key selection. jose's own schedule is switched off (infinite cache age and cooldown),
 * because jose drops to "no keys" and refetches on every request when a refresh fails. Here instead:
 *  - the first request waits for the first fetch; afterwards stale keys are refreshed in the background and stay
 *    in use if the refresh fails (an identity provider outage does not log everyone out);
 *  - an unknown kid triggers a refetch at most once per `minIntervalMs` (so rotation needs no restart, and
 *    tokens with made-up kids cannot make us hammer the identity provider);
 *  - a failed fetch is retried at most once per min(`minIntervalMs`, 1 s);
 *  - the response body is capped (1 MiB).
 */
export interface RemoteKeySource extends KeySource {
  /** Resolves when no fetch is in flight (graceful shutdown, tests). */
  settled(): Promise<void>;
}

export function remoteKeySource(o: RemoteKeySourceOptions): RemoteKeySource {
  const clock = o.clock ?? (() => performance.now());
  const failureRetryMs = Math.min(o.minIntervalMs, o.failureRetryMs ?? 1000);
  const remote = createRemoteJWKSet(new URL(o.url), {
    cacheMaxAge: Number.POSITIVE_INFINITY,
    cooldownDuration: Number.POSITIVE_INFINITY,
    timeoutDuration: o.timeoutMs,
    [customFetch]: boundedFetch(o.maxBytes ?? DEFAULT_MAX_JWKS_BYTES),
  });

  let loaded = false;
  let failures = 0;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let nextFetchAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let closed = false;

  const fetchKeys = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        await remote.reload();
        if (failures > 0) o.logger?.info({ jwks_uri: o.url, after_failures: failures }, 'JWKS fetch recovered');
        failures = 0;
        loaded = true;
        loadedAt = clock();
        nextFetchAt = loadedAt + o.minIntervalMs;
      } catch (err) {
        failures++;
        nextFetchAt = clock() + failureRetryMs; // keep the keys we have
        o.logger?.warn(
          { jwks_uri: o.url, err: errorText(err), consecutive_failures: failures, keys_kept: loaded, retry_after_ms: failureRetryMs },
          loaded ? 'JWKS fetch failed; keeping the keys fetched before' : 'JWKS fetch failed; tokens cannot be verified (jwks_unavailable)',
        );
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
  /** Wait for a fetch in flight, or start one if the rate limit allows; false when neither. */
  const refetch = async (): Promise<boolean> => {
    if (inflight) await inflight;
    else if (!closed && clock() >= nextFetchAt) await fetchKeys();
    else return false;
    return true;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (closed) throw new JwksUnavailableError('the key source is closed');
    if (!loaded) {
      await refetch();
      if (!loaded) throw new JwksUnavailableError(`the key set at ${o.url} could not be fetched`);
    } else if (clock() - loadedAt >= o.refreshMs && !inflight && clock() >= nextFetchAt) {
      void fetchKeys(); // background refresh; this request uses the keys we have
    }
    try {
      return await remote(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !(await refetch())) throw err;
      return remote(header, token);
    }
  };
  return {
    getKey,
    close() {
      closed = true;
    },
    async settled() {
      while (inflight) await inflight;
    },
  };
}

/** fetch with a cap on the response body (jose reads the whole body otherwise). */
function boundedFetch(maxBytes: number): FetchImplementation {
  return async (url, options) => {
    const res = await fetch(url, options);
    if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
      await res.body?.cancel();
      throw new errors.JWKSInvalid(`the JWKS response is larger than ${maxBytes} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > maxBytes) throw new errors.JWKSInvalid(`the JWKS response is larger than ${maxBytes} bytes`);
        chunks.push(chunk);
      }
    }
    return new Response(Buffer.concat(chunks), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** A fetch failure as one line: jose's message plus the network cause (ECONNREFUSED, a timeout, a status). */
function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message} (${cause})` : e.message;
}
