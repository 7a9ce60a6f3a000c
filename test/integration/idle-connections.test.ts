import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

describe('HTTP/2 idle and keepalive limits (config grpc.*)', () => {
  let tmp: string;
  let server: TestServer;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-idle-'));
    const config = join(tmp, 'config.yaml');
    await writeFile(config, 'grpc: {max_connection_idle_seconds: 0.5, keepalive_time_seconds: 0.5, keepalive_timeout_seconds: 0.5}\n');
    server = await startTestServer({}, config);
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('silent TCP connections are closed by the server; real traffic is still answered', async () => {
    const sockets: Socket[] = [];
    const closed = await Promise.all(
      Array.from({ length: 50 }, () => {
        const s = connect(server.app.grpc.port, '127.0.0.1');
        sockets.push(s);
        s.on('error', () => undefined);
        s.resume(); // read, so the server's close is seen
        return new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 15_000);
          s.on('close', () => {
            clearTimeout(t);
            resolve(true);
          });
        });
      }).concat([server.client.check(request).then((r) => r.status.code === 0)]),
    );
    for (const s of sockets) s.destroy();
    expect(closed.map((c, i) => (c ? '' : String(i))).join('')).toBe('');
    expect((await server.client.check(request)).status.code).toBe(0);
  });
});
