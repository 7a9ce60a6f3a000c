import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCheckPipeline } from '../../src/check/pipeline.js';
import { BundlePollError, createBundlePoller, type BundleErrorInfo, type BundlePollerOptions } from '../../src/policy/bundle-poller.js';
import { loadPolicyFromBundleBytes } from '../../src/policy/load.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { testCache, testSettings } from '../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { repoRoot, toolPath } from '../helpers/tools.js';

const run = promisify(execFile);
const ENTRYPOINT = 'mcp/authz/decision';
const loadCfg = { dataFiles: [], entrypoint: ENTRYPOINT, maxMemoryPages: 1024 };

/** A bundle service: serves `bundle` with a strong ETag, honours If-None-Match, can require a token or misbehave. */
interface BundleServer {
  url: string;
  bundle: Buffer;
  etag: () => string;
  mode: 'ok' | 'no_etag' | 'error500' | 'hang' | 'stream_forever' | 'redirect';
  token?: string;
  redirectTo?: string;
  requests: IncomingHttpHeaders[];
  status: number[];
  /** Bytes written by the stream_forever mode before the client went away. */
  streamed: number;
  server: Server;
}

async function startBundleServer(bundle: Buffer): Promise<BundleServer> {
  const s = { bundle, mode: 'ok', requests: [], status: [], streamed: 0 } as unknown as BundleServer;
  s.etag = () => `"${createHash('sha256').update(s.bundle).digest('hex').slice(0, 20)}"`;
  s.server = createServer((req, res) => {
    s.requests.push(req.headers);
    const reply = (status: number, headers: Record<string, string> = {}, body?: Buffer | string) => {
      s.status.push(status);
      res.writeHead(status, headers).end(body);
    };
    if (s.token !== undefined && req.headers.authorization !== `Bearer ${s.token}`) return reply(401, {}, 'unauthorized');
    switch (s.mode) {
      case 'error500':
        return reply(500, {}, 'boom');
      case 'hang':
        return; // never answers
      case 'redirect':
        return reply(302, { location: s.redirectTo! });
      case 'no_etag':
        return reply(200, { 'content-type': 'application/gzip' }, s.bundle);
      case 'stream_forever': {
        s.status.push(200);
        res.writeHead(200, { 'content-type': 'application/gzip' }); // chunked: no Content-Length
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = () => {
          while (!res.destroyed && s.streamed < 512 * 1024 * 1024) {
            s.streamed += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      default:
        if (req.headers['if-none-match'] === s.etag()) return reply(304, { etag: s.etag() });
        return reply(200, { 'content-type': 'application/gzip', etag: s.etag() }, s.bundle);
    }
  });
  s.server.listen(0, '127.0.0.1');
  await once(s.server, 'listening');
  s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}/bundles/mcp.tar.gz`;
  return s;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function opaBuild(dir: string, revision: string): Promise<Buffer> {
  const out = join(dir, `${revision}.tar.gz`);
  await run(toolPath('opa'), [
    'build',
    '-t',
    'wasm',
    '-e',
    ENTRYPOINT,
    '--ignore',
    '*_test.rego',
    '--ignore',
    'examples',
    '--revision',
    revision,
    '-o',
    out,
    join(repoRoot, 'rego'),
  ]);
  return readFile(out);
}

describe('bundle poller against a real bundle service', () => {
  let tmp: string;
  let rev1: Buffer;
  let rev2: Buffer;
  let svc: BundleServer;
  const cleanups: (() => void | Promise<void>)[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-poller-'));
    rev1 = await opaBuild(tmp, 'rev-1');
    rev2 = await opaBuild(tmp, 'rev-2');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** A poller that loads every bundle with the real loader and records what happened. */
  async function setup(overrides: Partial<BundlePollerOptions> = {}, serve: Buffer = rev1) {
    svc = await startBundleServer(serve);
    cleanups.push(() => closeServer(svc.server));
    const seen = {
      bundles: [] as { bytes: Buffer; etag?: string; url: string }[],
      policies: [] as Policy[],
      errors: [] as { err: Error; info: BundleErrorInfo }[],
    };
    const poller = createBundlePoller({
      url: svc.url,
      minDelaySeconds: 60,
      maxDelaySeconds: 120,
      timeoutMs: 5_000,
      maxBytes: 8 * 1024 * 1024,
      random: () => 0.5, // no jitter: the backoff sequence is exact
      onBundle: async (bytes, info) => {
        seen.bundles.push({ bytes, ...info });
        seen.policies.push(await loadPolicyFromBundleBytes(bytes, loadCfg, info.url));
      },
      onError: (err, info) => seen.errors.push({ err, info }),
      ...overrides,
    });
    cleanups.push(() => poller.stop());
    return { poller, seen };
  }

  it('downloads, then costs a 304 while unchanged, then picks up a new revision', async () => {
    const { poller, seen } = await setup();

    expect(await poller.pollNow()).toBe('updated');
    expect(seen.bundles).toHaveLength(1);
    expect(seen.bundles[0]!.bytes.equals(rev1)).toBe(true);
    expect(seen.bundles[0]!.etag).toBe(svc.etag());
    expect(seen.policies[0]!.revision).toBe('rev-1');
    expect(poller.lastEtag()).toBe(svc.etag());
    expect(svc.requests[0]!['if-none-match']).toBeUndefined();

    expect(await poller.pollNow()).toBe('not_modified');
    expect(svc.requests[1]!['if-none-match']).toBe(svc.etag());
    expect(svc.status).toEqual([200, 304]);
    expect(seen.bundles).toHaveLength(1);

    svc.bundle = rev2;
    expect(await poller.pollNow()).toBe('updated');
    expect(seen.policies.map((p) => p.revision)).toEqual(['rev-1', 'rev-2']);
    expect(poller.lastEtag()).toBe(svc.etag());
    expect(seen.errors).toEqual([]);
  });

  it('without ETags, a 200 carrying the bundle already in use is not applied again', async () => {
    const { poller, seen } = await setup();
    svc.mode = 'no_etag';
    expect(await poller.pollNow()).toBe('updated');
    expect(poller.lastEtag()).toBeUndefined();
    expect(await poller.pollNow()).toBe('not_modified');
    expect(svc.status).toEqual([200, 200]);
    expect(svc.requests[1]!['if-none-match']).toBeUndefined();
    expect(seen.bundles).toHaveLength(1);
    svc.bundle = rev2;
    expect(await poller.pollNow()).toBe('updated');
    expect(seen.policies.map((p) => p.revision)).toEqual(['rev-1', 'rev-2']);
  });

  it('backs off exponentially on server errors, capped, and keeps its ETag for a cheap recovery', async () => {
    const { poller, seen } = await setup({ minRetryDelayMs: 100, maxRetryDelaySeconds: 1 });
    expect(await poller.pollNow()).toBe('updated');
    const etag = poller.lastEtag();

    svc.mode = 'error500';
    for (let i = 0; i < 7; i++) expect(await poller.pollNow()).toBe('failed');
    const delays = seen.errors.map((e) => e.info.nextDelayMs);
    expect(seen.errors.map((e) => e.info.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.errors.every((e) => e.err instanceof BundlePollError && e.err.status === 500 && e.info.phase === 'download')).toBe(true);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
      if (delays[i - 1]! < 1000) expect(delays[i]).toBe(Math.min(1000, delays[i - 1]! * 2));
    }
    expect(delays[0]).toBe(100);
    expect(Math.max(...delays)).toBe(1000);
    expect(delays.at(-1)).toBe(1000);

    svc.mode = 'ok';
    expect(await poller.pollNow()).toBe('not_modified');
    expect(poller.lastEtag()).toBe(etag);
    svc.mode = 'error500';
    await poller.pollNow();
    expect(seen.errors.at(-1)!.info.consecutiveFailures).toBe(1); // a success resets the count
  });

  it('a bundle the loader rejects is a failure that does not advance the ETag, and is retried, not skipped', async () => {
    const { poller, seen } = await setup();
    expect(await poller.pollNow()).toBe('updated');
    const goodEtag = poller.lastEtag();

    svc.bundle = Buffer.from('this is not a gzipped tarball');
    expect(await poller.pollNow()).toBe('failed');
    expect(seen.errors.at(-1)!.info).toMatchObject({ phase: 'apply', consecutiveFailures: 1 });
    expect((seen.errors.at(-1)!.err as Error & { code?: string }).code).toBe('bundle_unreadable');
    expect(poller.lastEtag()).toBe(goodEtag);

    expect(await poller.pollNow()).toBe('failed'); // fetched and tried again (after backoff when running)
    expect(svc.requests.at(-1)!['if-none-match']).toBe(goodEtag);
    expect(seen.errors.at(-1)!.info.consecutiveFailures).toBe(2);
    expect(seen.errors[1]!.info.nextDelayMs).toBeGreaterThan(seen.errors[0]!.info.nextDelayMs);

    svc.bundle = rev2;
    expect(await poller.pollNow()).toBe('updated');
    expect(seen.policies.map((p) => p.revision)).toEqual(['rev-1', 'rev-2']);
  });

  it('sends the bearer token the service requires; a wrong or missing one is a failure', async () => {
    const tokenFile = join(tmp, 'token');
    await writeFile(tokenFile, 's3cret-token\n');
    const wrong = await setup({ bearerToken: 'nope' });
    svc.token = 's3cret-token';
    expect(await wrong.poller.pollNow()).toBe('failed');
    expect(wrong.seen.errors[0]!.err).toMatchObject({ code: 'http_status', status: 401 });
    expect(wrong.seen.errors[0]!.err.message).not.toContain('nope');

    const viaFile = createBundlePoller({
      url: svc.url,
      minDelaySeconds: 1,
      maxDelaySeconds: 2,
      timeoutMs: 5_000,
      maxBytes: 8 << 20,
      bearerTokenFile: tokenFile,
      onBundle: async () => {},
      onError: () => {},
    });
    expect(await viaFile.pollNow()).toBe('updated');
    expect(svc.requests.at(-1)!.authorization).toBe('Bearer s3cret-token');

    const none = createBundlePoller({
      url: svc.url,
      minDelaySeconds: 1,
      maxDelaySeconds: 2,
      timeoutMs: 5_000,
      maxBytes: 8 << 20,
      onBundle: async () => {},
      onError: () => {},
    });
    expect(await none.pollNow()).toBe('failed');
    expect(svc.status.at(-1)).toBe(401);
  });

  it('refuses an oversize bundle, by Content-Length and while streaming, without buffering it', async () => {
    const { poller, seen } = await setup({ maxBytes: rev1.length - 1 });
    expect(await poller.pollNow()).toBe('failed');
    expect(seen.errors[0]!.err).toMatchObject({ code: 'too_large' });
    expect(seen.bundles).toHaveLength(0);

    svc.mode = 'stream_forever';
    expect(await poller.pollNow()).toBe('failed');
    expect(seen.errors[1]!.err).toMatchObject({ code: 'too_large' });
    await new Promise((r) => setTimeout(r, 100));
    expect(svc.streamed).toBeLessThan(64 * 1024 * 1024); // the transfer was cut, far short of the 512 MiB offered
  });

  it('times out a service that does not answer', async () => {
    const { poller, seen } = await setup({ timeoutMs: 300 });
    svc.mode = 'hang';
    expect(await poller.pollNow()).toBe('failed');
    expect(seen.errors[0]!.err).toMatchObject({ code: 'timeout' });
  });

  it('does not forward the token on a cross-origin redirect', async () => {
    const other = await startBundleServer(rev1);
    cleanups.push(() => closeServer(other.server));
    const { poller, seen } = await setup({ bearerToken: 'only-for-the-first-origin' });
    svc.mode = 'redirect';
    svc.redirectTo = other.url;
    expect(await poller.pollNow()).toBe('updated');
    expect(svc.requests[0]!.authorization).toBe('Bearer only-for-the-first-origin');
    expect(other.requests[0]!.authorization).toBeUndefined();
    expect(seen.policies[0]!.revision).toBe('rev-1');
  });

  it('start() polls on its own until stop(); stop() aborts a request in flight without reporting an error', async () => {
    const { poller, seen } = await setup({ minDelaySeconds: 0.02, maxDelaySeconds: 0.04 });
    poller.start();
    poller.start(); // idempotent
    const deadline = Date.now() + 10_000;
    while (svc.requests.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(svc.status.slice(0, 3)).toEqual([200, 304, 304]);
    poller.stop();
    const count = svc.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(svc.requests.length).toBe(count);

    svc.mode = 'hang';
    const pending = poller.pollNow();
    while (svc.requests.length === count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    poller.stop();
    expect(await pending).toBe('failed');
    expect(seen.errors).toEqual([]);
  });

  it('the downloaded policy evaluates through the decision cache (a repeat is a hit with the same answer)', async () => {
    const { poller, seen } = await setup();
    expect(await poller.pollNow()).toBe('updated');
    const policy = seen.policies[0]!;
    const cache = testCache();
    const pipeline = createCheckPipeline({ settings: testSettings(), policy: () => policy, cache });
    const request = (requestId: string) =>
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), { headers: { 'x-request-id': requestId } }) as never;
    const first = await pipeline.check(request('a'));
    const second = await pipeline.check(request('b'));
    const uncached = await createCheckPipeline({ settings: testSettings(), policy: () => policy }).check(request('c'));
    expect([first.cache, second.cache, uncached.cache]).toEqual(['miss', 'hit', 'off']);
    expect(second.response).toEqual(uncached.response);
    expect(second.response).toBe(first.response);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('a policy that reads the clock is detected as non-deterministic and bypasses the cache by default', async () => {
    const dir = join(tmp, 'clock');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'clock.rego'),
      'package clock\nimport rego.v1\n\ndecision := {"allowed": true, "dynamic_metadata": {"at_ns": time.now_ns()}}\n',
    );
    const out = join(tmp, 'clock.tar.gz');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'clock/decision', '--revision', 'clock-1', '-o', out, dir]);
    const policy = await loadPolicyFromBundleBytes(await readFile(out), { ...loadCfg, entrypoint: 'clock/decision' }, out);
    expect(policy.nondeterministic).toBe(true);
    const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' })) as never;

    const bypassing = createCheckPipeline({ settings: testSettings(), policy: () => policy, cache: testCache() });
    const answers = [await bypassing.check(request), await bypassing.check(request)];
    expect(answers.map((o) => o.cache)).toEqual(['bypass', 'bypass']);
    expect(answers[0]!.decision.dynamicMetadata!.at_ns).not.toBe(answers[1]!.decision.dynamicMetadata!.at_ns);

    const tolerant = createCheckPipeline({ settings: testSettings(), policy: () => policy, cache: testCache({ nondeterministicTtlMs: 60_000 }) });
    const first = await tolerant.check(request);
    expect(first.decision.dynamicMetadata!.at_ns).toBeGreaterThan(0);
    const again = await tolerant.check(request);
    expect(again.cache).toBe('hit');
    expect(again.decision).toBe(first.decision);
  });

  it('rejects unusable options up front', () => {
    const base = { minDelaySeconds: 1, maxDelaySeconds: 2, timeoutMs: 1000, maxBytes: 1, onBundle: async () => {}, onError: () => {} };
    expect(() => createBundlePoller({ ...base, url: 'ftp://x/b.tar.gz' })).toThrow(RangeError);
    expect(() => createBundlePoller({ ...base, url: 'https://user:pw@x/b.tar.gz' })).toThrow(/credentials/);
    expect(() => createBundlePoller({ ...base, url: 'https://x/b', minDelaySeconds: 5 })).toThrow(/maxDelaySeconds/);
    expect(() => createBundlePoller({ ...base, url: 'https://x/b', bearerToken: 'a', bearerTokenFile: '/t' })).toThrow(/not both/);
  });
});
