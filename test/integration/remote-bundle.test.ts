import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile, startTestServer, type TestServer } from '../helpers/server.js';

describe('serve --bundle-url: a remote bundle service', () => {
  let bundleServer: Server;
  let bundle: Buffer;
  let mode: 'fail' | 'serve' = 'fail';
  let server: TestServer;

  beforeAll(async () => {
    bundle = await readFile((await buildBundleFile()).file);
    bundleServer = createServer((req, res) => {
      if (mode === 'fail') {
        res.writeHead(503);
        res.end();
        return;
      }
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304);
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"v1"', 'content-type': 'application/gzip' });
      res.end(bundle);
    });
    await new Promise<void>((r) => bundleServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(bundleServer.address() as AddressInfo).port}/bundles/authz.tar.gz`;
    server = await startTestServer({ 'bundle-url': url });
  });
  afterAll(async () => {
    await server?.close();
    bundleServer?.close();
  });

  const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

  it('before the first bundle: NOT_SERVING, not ready, and every check denied with policy_not_loaded', async () => {
    expect(await server.client.health()).toBe('NOT_SERVING');
    expect((await fetch(`http://127.0.0.1:${server.app.http.port}/readyz`)).status).toBe(503);
    const res = await server.client.check(request);
    expect(res.status.code).toBe(7);
    expect(httpStatus(res.denied_response.status)).toBe(503);
    expect(JSON.parse(res.denied_response.body)).toMatchObject({ error: 'authz_error', code: 'policy_not_loaded' });
  });

  it('once the bundle service answers: SERVING and the policy decides', async () => {
    mode = 'serve';
    expect(await server.app.poller!.pollNow()).toBe('updated');
    expect(await server.client.health()).toBe('SERVING');
    expect((await server.client.check(request)).status?.code ?? 0).toBe(0);
    expect(server.app.policy()!.source).toMatch(/\/bundles\/authz\.tar\.gz$/);
    const lastSuccess = async () => {
      const text = await (await fetch(`http://127.0.0.1:${server.app.http.port}/metrics`)).text();
      return Number(/^mcp_authz_policy_last_success_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    };
    const loaded = await lastSuccess();
    expect(loaded).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 20));
    // An unchanged bundle (304) is a successful check of the source: the staleness alert stays quiet.
    expect(await server.app.poller!.pollNow()).toBe('not_modified');
    expect(await lastSuccess()).toBeGreaterThan(loaded);
  });

  it('a later outage keeps the last good policy serving', async () => {
    mode = 'fail';
    expect(await server.app.poller!.pollNow()).toBe('failed');
    expect(await server.client.health()).toBe('SERVING');
    expect((await server.client.check(request)).status?.code ?? 0).toBe(0);
  });
});
