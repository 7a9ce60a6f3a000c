import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';

/**
 * Polls a remote policy bundle the way OPA's bundle plugin does (OPA docs, "Bundles" / "Bundle Service API"):
 * `GET <url>` with `If-None-Match: <last ETag>`, so an unchanged bundle costs a `304 Not Modified`; an optional
 * `Authorization: Bearer <token>` (the token from config, or read from a file at every request so rotated
 * tokens are picked up); a timeout covering the whole request; a delay drawn uniformly from
 * [minDelaySeconds, maxDelaySeconds] between polls; exponential backoff with ±20 % jitter after failures,
 * capped at maxRetryDelaySeconds (default maxDelaySeconds, as OPA caps it). Long polling and delta bundles are
 * not supported.
 *
 * The ETag invariant: `lastEtag()` is always the ETag of the bundle that `onBundle` last ACCEPTED. So:
 * - a download error leaves it alone (the next success can still be a cheap 304);
 * - a bundle `onBundle` rejects (throws: a broken bundle) does not advance it. The next poll therefore fetches
 *   that bundle again and re-applies it, which is what makes a failure on our side (a bad local data file, a
 *   transient resource limit) recoverable and a fix published under a new ETag visible. It is not a hot loop:
 *   a rejection is a failure like any other, so the retry waits out the backoff, which grows to the cap; while
 *   the bundle stays broken it costs one download and one load attempt per cap interval, and every attempt is
 *   reported through onError with a growing consecutiveFailures (alert on that).
 * A 200 whose bytes equal the last accepted bundle (a server without ETags, or one that changed its ETag
 * scheme) is `not_modified`: onBundle is not called again.
 */

export type PollOutcome = 'updated' | 'not_modified' | 'failed';

export type BundlePollErrorCode = 'http_status' | 'too_large' | 'timeout' | 'network' | 'token' | 'empty' | 'insecure_redirect';

/** A download failure (a rejection by onBundle is passed to onError as thrown). */
export class BundlePollError extends Error {
  constructor(
    readonly code: BundlePollErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'BundlePollError';
  }
}

export interface BundleErrorInfo {
  consecutiveFailures: number;
  /** Delay before the next attempt when polling is running. */
  nextDelayMs: number;
  /** `download`: the request failed. `apply`: onBundle rejected the bundle. */
  phase: 'download' | 'apply';
}

export interface BundlePollerOptions {
  /** http(s) URL of the bundle. No credentials in the URL: use bearerToken(File). */
  url: string;
  minDelaySeconds: number;
  maxDelaySeconds: number;
  /** Timeout for one request, headers and body together. */
  timeoutMs: number;
  bearerToken?: string;
  /** File holding the token (e.g. a projected service account token); read at every request. */
  bearerTokenFile?: string;
  /** Largest body accepted; a larger one is refused while streaming, never buffered whole. */
  maxBytes: number;
  /** Apply a downloaded bundle; throw to reject it. `url` is the bundle URL without its query string. */
  onBundle: (bytes: Buffer, info: { etag?: string; url: string }) => Promise<void>;
  onError: (err: Error, info: BundleErrorInfo) => void;
  /** Every poll's outcome (metrics). */
  onPoll?: (outcome: PollOutcome) => void;
  /** First retry delay after a failure (default 500 ms); doubles per consecutive failure. */
  minRetryDelayMs?: number;
  /** Cap of the retry delay (default maxDelaySeconds). */
  maxRetryDelaySeconds?: number;
  fetchImpl?: typeof fetch;
  /** Uniform [0, 1) source for the poll delay and the backoff jitter (tests). */
  random?: () => number;
}

export interface BundlePoller {
  /** Poll now, then keep polling until stop(). Idempotent. */
  start(): void;
  /** One poll now (joins a poll already in flight). Reschedules the next poll when running. Never rejects. */
  pollNow(): Promise<PollOutcome>;
  /** Stop polling and abort a request in flight (onBundle already running completes). */
  stop(): void;
  lastEtag(): string | undefined;
}

const JITTER = 0.2;
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

export function createBundlePoller(opts: BundlePollerOptions): BundlePoller {
  const url = validate(opts);
  const safeUrl = `${url.origin}${url.pathname}`; // never log a query string (signed URLs carry secrets in it)
  const fetchImpl = opts.fetchImpl ?? fetch;
  const random = opts.random ?? Math.random;
  const minRetryMs = opts.minRetryDelayMs ?? 500;
  const maxRetryMs = (opts.maxRetryDelaySeconds ?? opts.maxDelaySeconds) * 1000;

  let etag: string | undefined;
  let appliedSha256: string | undefined;
  let failures = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<PollOutcome> | undefined;
  let controller: AbortController | undefined;
  let nextDelayMs = 0;

  const pollDelayMs = (): number => Math.round((opts.minDelaySeconds + (opts.maxDelaySeconds - opts.minDelaySeconds) * random()) * 1000);
  const retryDelayMs = (n: number): number => {
    const base = Math.min(maxRetryMs, minRetryMs * 2 ** Math.min(n - 1, 52));
    return Math.round(Math.min(maxRetryMs, Math.max(0, base * (1 + JITTER * (random() * 2 - 1)))));
  };

  const fail = (err: unknown, phase: BundleErrorInfo['phase']): PollOutcome => {
    failures++;
    nextDelayMs = retryDelayMs(failures);
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      opts.onError(error, { consecutiveFailures: failures, nextDelayMs, phase });
    } catch {
      // a throwing reporter must not stop the poller
    }
    return 'failed';
  };
  const succeed = (outcome: PollOutcome): PollOutcome => {
    failures = 0;
    nextDelayMs = pollDelayMs();
    return outcome;
  };

  async function pollOnce(): Promise<PollOutcome> {
    const ac = new AbortController();
    controller = ac;
    let bytes: Buffer;
    let responseEtag: string | undefined;
    try {
      const headers: Record<string, string> = { 'user-agent': 'mcp-authz-bundle-poller' };
      if (etag !== undefined) headers['if-none-match'] = etag;
      const token = await bearerToken(opts);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;

      const res = await fetchImpl(url, { headers, redirect: 'follow', signal: AbortSignal.any([ac.signal, AbortSignal.timeout(opts.timeoutMs)]) });
      if (url.protocol === 'https:' && res.url && new URL(res.url).protocol !== 'https:') {
        await res.body?.cancel().catch(() => undefined);
        throw new BundlePollError('insecure_redirect', `GET ${safeUrl}: redirected from https to plain http; refused`);
      }
      if (res.status === 304) {
        await res.body?.cancel().catch(() => undefined);
        if (etag === undefined) throw new BundlePollError('http_status', `GET ${safeUrl}: 304 Not Modified without If-None-Match`, 304);
        return succeed('not_modified');
      }
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        const hint = res.status === 401 || res.status === 403 ? ' (check the bearer token)' : '';
        throw new BundlePollError('http_status', `GET ${safeUrl}: HTTP ${res.status}${hint}`, res.status);
      }
      responseEtag = res.headers.get('etag') ?? undefined;
      bytes = await readLimited(res, opts.maxBytes, safeUrl, ac);
      if (bytes.length === 0) throw new BundlePollError('empty', `GET ${safeUrl}: empty response body`);
    } catch (err) {
      if (ac.signal.aborted && ac.signal.reason instanceof StopSignal) return 'failed'; // stop(): not an error
      return fail(describeFetchError(err, safeUrl, opts.timeoutMs), 'download');
    } finally {
      if (controller === ac) controller = undefined;
    }

    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 === appliedSha256) {
      etag = responseEtag;
      return succeed('not_modified');
    }
    try {
      await opts.onBundle(bytes, responseEtag === undefined ? { url: safeUrl } : { etag: responseEtag, url: safeUrl });
    } catch (err) {
      return fail(err, 'apply');
    }
    etag = responseEtag;
    appliedSha256 = sha256;
    return succeed('updated');
  }

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = undefined;
    if (!running) return;
    timer = setTimeout(() => {
      timer = undefined;
      void pollNow();
    }, delayMs);
    timer.unref();
  }

  function pollNow(): Promise<PollOutcome> {
    if (inflight) return inflight;
    clearTimeout(timer);
    timer = undefined;
    inflight = pollOnce().then((outcome) => {
      inflight = undefined;
      try {
        opts.onPoll?.(outcome);
      } catch {
        // metrics must not stop the poller
      }
      schedule(nextDelayMs);
      return outcome;
    });
    return inflight;
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      if (!inflight) schedule(0);
    },
    pollNow,
    stop(): void {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      controller?.abort(new StopSignal());
    },
    lastEtag: () => etag,
  };
}

class StopSignal extends Error {
  constructor() {
    super('bundle poller stopped');
  }
}

function validate(opts: BundlePollerOptions): URL {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new RangeError(`bundle poller: not a URL: ${opts.url}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RangeError(`bundle poller: ${url.protocol} URLs are not supported (http or https)`);
  if (url.username || url.password) throw new RangeError('bundle poller: credentials in the URL are refused; use a bearer token');
  const positive = (name: string, v: number | undefined, integer = false) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
      throw new RangeError(`bundle poller: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  };
  positive('minDelaySeconds', opts.minDelaySeconds);
  positive('maxDelaySeconds', opts.maxDelaySeconds);
  if (opts.maxDelaySeconds < opts.minDelaySeconds) throw new RangeError('bundle poller: maxDelaySeconds must be >= minDelaySeconds');
  positive('timeoutMs', opts.timeoutMs, true);
  positive('maxBytes', opts.maxBytes, true);
  positive('minRetryDelayMs', opts.minRetryDelayMs);
  positive('maxRetryDelaySeconds', opts.maxRetryDelaySeconds);
  if (opts.bearerToken !== undefined && opts.bearerTokenFile !== undefined)
    throw new RangeError('bundle poller: set bearerToken or bearerTokenFile, not both');
  return url;
}

async function bearerToken(opts: BundlePollerOptions): Promise<string | undefined> {
  let token = opts.bearerToken;
  if (opts.bearerTokenFile !== undefined) {
    try {
      token = (await readFile(opts.bearerTokenFile, 'utf8')).trim();
    } catch (err) {
      throw new BundlePollError(
        'token',
        `bearer token file ${opts.bearerTokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  if (token === undefined) return undefined;
  // Checked here so that fetch never echoes a malformed token in its own error message.
  if (!TOKEN_CHARS.test(token)) throw new BundlePollError('token', 'the bearer token is empty or contains characters not allowed in a header');
  return token;
}

/** Read the body, refusing (and aborting the transfer) as soon as it passes maxBytes. */
async function readLimited(res: Response, maxBytes: number, safeUrl: string, ac: AbortController): Promise<Buffer> {
  const tooLarge = () => new BundlePollError('too_large', `GET ${safeUrl}: bundle larger than ${maxBytes} bytes; refused`);
  const declared = res.headers.get('content-length');
  // Content-Length is the encoded size; with a Content-Encoding only the streamed count is meaningful.
  if (declared !== null && !res.headers.get('content-encoding') && Number(declared) > maxBytes) {
    ac.abort(tooLarge());
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      ac.abort(tooLarge());
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeFetchError(err: unknown, safeUrl: string, timeoutMs: number): Error {
  if (err instanceof BundlePollError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return new BundlePollError('timeout', `GET ${safeUrl}: no complete response within ${timeoutMs} ms`);
  const cause = e?.cause?.code ?? e?.cause?.message;
  return new BundlePollError('network', `GET ${safeUrl}: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`);
}

/** What fetchBundleOnce needs: the poller's URL, timeout, size bound and token options. */
export type BundleFetchOptions = Pick<BundlePollerOptions, 'url' | 'timeoutMs' | 'maxBytes' | 'bearerToken' | 'bearerTokenFile' | 'fetchImpl'>;

/**
 * One download of a bundle, exactly as the poller makes one (the same request, timeout, size bound while streaming,
 * refusals of credentials in the URL and of https→http redirects, and the same errors): the bytes and the URL
 * without its query string. Throws BundlePollError when the download fails, RangeError for a URL it refuses.
 */
export async function fetchBundleOnce(opts: BundleFetchOptions): Promise<{ bytes: Buffer; url: string; etag?: string }> {
  let got: { bytes: Buffer; url: string; etag?: string } | undefined;
  let failure: Error | undefined;
  const poller = createBundlePoller({
    ...opts,
    minDelaySeconds: 1,
    maxDelaySeconds: 1,
    onBundle: async (bytes, info) => {
      got = { bytes, ...info };
    },
    onError: (err) => {
      failure = err;
    },
  });
  try {
    await poller.pollNow(); // never started: no next poll is scheduled
  } finally {
    poller.stop();
  }
  if (got) return got;
  throw failure ?? new BundlePollError('network', `GET ${opts.url}: no bundle`);
}
