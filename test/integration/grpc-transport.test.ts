import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { frame, GrpcError } from '../../src/envoy/grpc-protocol.js';
import { GrpcTransport } from '../../src/envoy/grpc-transport.js';
import { findTool } from '../../src/shared/tool-path.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile, startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const run = promisify(execFile);
const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
const { packageDefinition } = loadDescriptors();
const Check = (packageDefinition['envoy.service.auth.v3.Authorization'] as any).Check;
const requestBytes: Buffer = Check.requestSerialize(request);
const framed = (message: Buffer, flag = 0): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

/** One raw HTTP/2 request (node:http2 as a client): response headers, trailers and body. */
function rawCall(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer | undefined,
  session?: http2.ClientHttp2Session,
): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  const s = session ?? http2.connect(`http://127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    if (!session) s.on('error', reject);
    const req = s.request({
      ':method': 'POST',
      ':path': '/envoy.service.auth.v3.Authorization/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let h: http2.IncomingHttpHeaders = {};
    let t: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (r) => (h = r));
    req.on('trailers', (r) => (t = r));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      if (!session) s.close();
      resolve({ headers: h, trailers: t, body: Buffer.concat(chunks) });
    });
    req.end(body);
  });
}
const statusOf = (r: { headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders }): string | undefined =>
  (r.trailers['grpc-status'] ?? r.headers['grpc-status']) as string | undefined;

describe('gRPC on node:http2: conformance with grpc-js, grpc-go (grpcurl) and raw HTTP/2 clients', () => {
  let server: TestServer;
  let slow: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    const { file } = await buildBundleFile(join(repoRoot, 'test/fixtures/policies/slow'), 'slow/allow');
    slow = await startTestServer({ bundle: file, entrypoint: 'slow/allow', 'shutdown-grace': '20' });
  });
  afterAll(async () => {
    await server?.close();
    await slow?.close();
  });

  it('a raw Check: headers, one framed CheckResponse, grpc-status 0 trailers', async () => {
    const r = await rawCall(server.app.grpc.port, {}, framed(requestBytes));
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['content-type']).toBe('application/grpc');
    expect(r.trailers['grpc-status']).toBe('0');
    expect(r.body[0]).toBe(0);
    expect(r.body.readUInt32BE(1)).toBe(r.body.length - 5);
    expect(Check.responseDeserialize(r.body.subarray(5)).status.code).toBe(0);
  });

  it('unknown methods are UNIMPLEMENTED (grpc-js and raw)', async () => {
    const client = new grpc.Client(`127.0.0.1:${server.app.grpc.port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        '/envoy.service.auth.v3.Authorization/Nope',
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (e) => resolve(e!),
      ),
    );
    client.close();
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    const r = await rawCall(server.app.grpc.port, { ':path': '/no.Such/Method' }, framed(Buffer.alloc(0)));
    expect(r.headers['grpc-status']).toBe('12');
    expect(r.headers['grpc-message']).toContain('/no.Such/Method');
  });

  it('refuses what is not gRPC: wrong content-type 415, GET 405, compressed messages, unknown encodings, bad bytes', async () => {
    const port = server.app.grpc.port;
    expect((await rawCall(port, { 'content-type': 'application/json' }, framed(requestBytes))).headers[':status']).toBe(415);
    expect((await rawCall(port, { 'content-type': 'application/grpcx' }, framed(requestBytes))).headers[':status']).toBe(415);
    expect((await rawCall(port, { ':method': 'GET' }, undefined)).headers[':status']).toBe(405);
    expect((await rawCall(port, { 'content-type': 'application/grpc+proto' }, framed(requestBytes))).trailers['grpc-status']).toBe('0');
    expect(statusOf(await rawCall(port, {}, framed(requestBytes, 1)))).toBe('13');
    const gz = await rawCall(port, { 'grpc-encoding': 'gzip' }, framed(requestBytes, 1));
    expect(statusOf(gz)).toBe('12');
    expect(gz.headers['grpc-accept-encoding']).toBe('identity');
    expect(statusOf(await rawCall(port, {}, framed(Buffer.from([0x0a, 0x09, 0x01]))))).toBe('13');
    expect(statusOf(await rawCall(port, {}, Buffer.concat([framed(requestBytes), framed(requestBytes)])))).toBe('13');
    expect(statusOf(await rawCall(port, {}, framed(requestBytes).subarray(0, 20)))).toBe('13');
    expect(statusOf(await rawCall(port, {}, undefined))).toBe('13');
    expect(statusOf(await rawCall(port, { 'grpc-timeout': 'soon' }, framed(requestBytes)))).toBe('13');
  });

  it('HTTP/1.1 and garbage instead of the HTTP/2 preface: the connection is closed, the server keeps answering', async () => {
    for (const bytes of ['POST /envoy.service.auth.v3.Authorization/Check HTTP/1.1\r\nHost: x\r\n\r\n', '\x00\xff garbage\r\n\r\n'.repeat(20)]) {
      const closed = await new Promise<boolean>((resolve) => {
        const s = connect(server.app.grpc.port, '127.0.0.1', () => s.end(bytes));
        s.on('error', () => undefined);
        s.resume();
        s.on('close', () => resolve(true));
      });
      expect(closed).toBe(true);
    }
    expect((await server.client.check(request)).status.code).toBe(0);
  });

  it('oversized messages are RESOURCE_EXHAUSTED (grpc-js client; raw header claiming 5 MiB)', async () => {
    const big = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get', pad: 'x'.repeat(5 * 1024 * 1024) }));
    await expect(server.client.check(big)).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    const head = Buffer.alloc(5);
    head.writeUInt32BE(5 * 1024 * 1024, 1);
    expect(statusOf(await rawCall(server.app.grpc.port, {}, head))).toBe('8');
    expect((await server.client.check(request)).status.code).toBe(0);
  });

  it('grpc-timeout: the server ends a call past its deadline with DEADLINE_EXCEEDED; others are answered', async () => {
    const r = await rawCall(slow.app.grpc.port, { 'grpc-timeout': '1m' }, framed(requestBytes));
    expect(statusOf(r)).toBe('4');
    // 99999999 hours is past what a timer holds: no deadline, not an instant one
    expect(statusOf(await rawCall(slow.app.grpc.port, { 'grpc-timeout': '99999999H' }, framed(requestBytes)))).toBe('0');
    expect(statusOf(await rawCall(slow.app.grpc.port, { 'grpc-timeout': '60S' }, framed(requestBytes)))).toBe('0');
    const client = checkClient(`127.0.0.1:${slow.app.grpc.port}`);
    const pkgClient = new grpc.Client(`127.0.0.1:${slow.app.grpc.port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      pkgClient.makeUnaryRequest(
        '/envoy.service.auth.v3.Authorization/Check',
        (x: unknown) => Check.requestSerialize(x),
        (x: Buffer) => x,
        request,
        { deadline: Date.now() + 2 },
        (e) => resolve(e),
      ),
    );
    pkgClient.close();
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect((await client.check(request)).status.code).toBe(0);
    client.close();
  });

  it('many concurrent streams on one connection, and clients that vanish mid-call', async () => {
    const results = await Promise.all(Array.from({ length: 300 }, () => server.client.check(request).then((r) => r.status.code)));
    expect(results.every((c) => c === 0)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const s = http2.connect(`http://127.0.0.1:${slow.app.grpc.port}`);
      s.on('error', () => undefined);
      const req = s.request({ ':method': 'POST', ':path': '/envoy.service.auth.v3.Authorization/Check', 'content-type': 'application/grpc' });
      req.on('error', () => undefined);
      req.end(i % 2 ? framed(requestBytes) : framed(requestBytes).subarray(0, 30));
      setTimeout(() => s.destroy(), i % 5);
    }
    await new Promise((r) => setTimeout(r, 200));
    const client = checkClient(`127.0.0.1:${slow.app.grpc.port}`);
    expect((await client.check(request)).status.code).toBe(0);
    expect(await client.health()).toBe('SERVING');
    client.close();
    // The abandoned checks finished and were let go of: nothing stays in flight.
    for (let i = 0; i < 200 && slow.app.grpc.inFlight() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(slow.app.grpc.inFlight()).toBe(0);
  });

  // ghz is a benchmark tool (scripts/install-tools.sh --bench): without it this test is skipped, and named as skipped.
  const ghz = findTool('ghz');
  it.skipIf(!ghz)('ghz (grpc-go): 2,000 checks, 50 concurrent over 2 connections, all OK; a 1 ms deadline is DeadlineExceeded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-ghz-'));
    const data = join(dir, 'request.json');
    await writeFile(
      data,
      JSON.stringify({
        attributes: {
          request: {
            http: {
              method: 'POST',
              path: '/mcp',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(toolCall('fetch_url', { url: 'https://httpbin.org/get' })),
            },
          },
        },
      }),
    );
    const load = (port: number, extra: string[]) =>
      run(ghz!, [
        '--insecure',
        '--protoset',
        join(repoRoot, 'proto/mcp-authz.binpb'),
        '--call',
        'envoy.service.auth.v3.Authorization/Check',
        '--data-file',
        data,
        '--format',
        'json',
        ...extra,
        `127.0.0.1:${port}`,
      ]).then((r) => JSON.parse(r.stdout) as { statusCodeDistribution: Record<string, number> });
    try {
      const ok = await load(server.app.grpc.port, ['-n', '2000', '-c', '50', '--connections', '2', '--timeout', '60s']);
      expect(ok.statusCodeDistribution).toEqual({ OK: 2000 });
      const late = await load(slow.app.grpc.port, ['-n', '4', '-c', '2', '--timeout', '1ms']);
      expect(late.statusCodeDistribution).toEqual({ DeadlineExceeded: 4 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('grpc.max_concurrent_streams: announced in SETTINGS; 100 calls on one connection limited to 4 all complete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-streams-'));
    const config = join(dir, 'config.yaml');
    await writeFile(config, 'grpc: {max_concurrent_streams: 4}\n');
    const limited = await startTestServer({}, config);
    try {
      const session = http2.connect(`http://127.0.0.1:${limited.app.grpc.port}`);
      session.on('error', () => undefined);
      const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
      session.destroy();
      expect(settings.maxConcurrentStreams).toBe(4);
      const codes = await Promise.all(Array.from({ length: 100 }, () => limited.client.check(request).then((r) => r.status.code)));
      expect(codes).toEqual(Array(100).fill(0));
    } finally {
      await limited.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('health Check and Watch (grpc-js); reflection list and describe (grpcurl, v1 and v1alpha)', async () => {
    expect(await server.client.health()).toBe('SERVING');
    expect(await server.client.health('envoy.service.auth.v3.Authorization')).toBe('SERVING');
    await expect(server.client.health('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const pkg = grpc.loadPackageDefinition(packageDefinition) as any;
    const health = new pkg.grpc.health.v1.Health(`127.0.0.1:${server.app.grpc.port}`, grpc.credentials.createInsecure());
    const first = await new Promise<string>((resolve, reject) => {
      const watch = health.Watch({ service: '' });
      watch.on('data', (m: { status: string }) => {
        resolve(m.status);
        watch.cancel();
      });
      watch.on('error', (e: grpc.ServiceError) => e.code !== grpc.status.CANCELLED && reject(e));
    });
    health.close();
    expect(first).toBe('SERVING');
    const addr = `127.0.0.1:${server.app.grpc.port}`;
    const list = await run('grpcurl', ['-plaintext', addr, 'list']);
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['envoy.service.auth.v3.Authorization', 'grpc.health.v1.Health']));
    // v1alpha too (older grpcurl and grpc-go clients ask it first)
    const alpha = await rawCall(
      server.app.grpc.port,
      { ':path': '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo' },
      framed(Buffer.from([0x3a, 0x00])),
    );
    expect(alpha.trailers['grpc-status']).toBe('0');
    expect(alpha.body.toString('latin1')).toContain('envoy.service.auth.v3.Authorization');
    const describe = await run('grpcurl', ['-plaintext', addr, 'describe', 'envoy.service.auth.v3.CheckRequest']);
    expect(describe.stdout).toContain('.envoy.service.auth.v3.AttributeContext attributes = 1;');
    const check = await run('grpcurl', [
      '-plaintext',
      '-d',
      JSON.stringify({
        attributes: {
          request: {
            http: {
              method: 'POST',
              path: '/mcp',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(toolCall('fetch_url', { url: 'https://httpbin.org/get' })),
            },
          },
        },
      }),
      addr,
      'envoy.service.auth.v3.Authorization/Check',
    ]);
    expect(JSON.parse(check.stdout).status).toEqual({});
    const hc = await run('grpcurl', ['-plaintext', addr, 'grpc.health.v1.Health/Check']);
    expect(JSON.parse(hc.stdout)).toEqual({ status: 'SERVING' });
  });

  it('shutdown: GOAWAY, in-flight calls finish, new calls are refused, health watches end', async () => {
    const { file } = await buildBundleFile(join(repoRoot, 'test/fixtures/policies/slow'), 'slow/allow');
    const s = await startTestServer({ bundle: file, entrypoint: 'slow/allow', 'shutdown-grace': '20' });
    const port = s.app.grpc.port;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    const goaway = new Promise<boolean>((resolve) => session.once('goaway', () => resolve(true)));
    await rawCall(port, {}, framed(requestBytes), session);
    const inFlight = Array.from({ length: 10 }, () => rawCall(port, {}, framed(requestBytes), session).then(statusOf));
    const watchEnded = new Promise<string | undefined>((resolve) => {
      const w = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc' });
      w.on('trailers', (t) => resolve(t['grpc-status'] as string));
      w.on('error', () => resolve('error'));
      w.resume();
      w.end(framed(Buffer.alloc(0)));
    });
    await new Promise((r) => setTimeout(r, 50));
    const drained = s.app.grpc.shutdown(20_000);
    expect(await goaway).toBe(true);
    expect(await Promise.all(inFlight)).toEqual(Array(10).fill('0'));
    expect(await watchEnded).toBe('0');
    expect(await drained).toBe(true);
    await expect(rawCall(port, {}, framed(requestBytes))).rejects.toThrow();
    session.destroy();
    s.client.close();
    await s.close();
  });
});

describe('GrpcTransport limits on its own', () => {
  it('messages past the send or receive limit are RESOURCE_EXHAUSTED, a handler failure INTERNAL (grpc-js client)', async () => {
    const transport = new GrpcTransport({
      maxReceiveBytes: 1024,
      maxSendBytes: 1024,
      keepaliveTimeMs: 0,
      keepaliveTimeoutMs: 1000,
      maxIdleMs: 0,
      maxAgeMs: 0,
      maxAgeGraceMs: 0,
      maxConcurrentStreams: 0,
    });
    transport.addRawUnary('/t.T/Zeros', async (m) => frame(Buffer.alloc(m.readUInt16BE(0))));
    transport.addRawUnary('/t.T/Fail', async () => {
      throw new Error('boom');
    });
    // Answered in the same call (the Check path when nothing waits), and a synchronous throw with its own code.
    transport.addRawUnary('/t.T/ZerosNow', (m) => frame(Buffer.alloc(m.readUInt16BE(0))));
    transport.addRawUnary('/t.T/FailNow', () => {
      throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'refused now');
    });
    const port = await transport.listen('127.0.0.1', 0);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = (path: string, body: Buffer) =>
      new Promise<{ code: number; details?: string; bytes?: Buffer }>((resolve) =>
        client.makeUnaryRequest(
          path,
          (x: Buffer) => x,
          (x: Buffer) => x,
          body,
          (e, v) => resolve(e ? { code: e.code, details: e.details } : { code: 0, bytes: v! }),
        ),
      );
    try {
      const size = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
      expect(await call('/t.T/Zeros', size(200))).toMatchObject({ code: 0, bytes: Buffer.alloc(200) });
      expect(await call('/t.T/Zeros', size(2000))).toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'Sent message larger than max (2000 vs. 1024)',
      });
      expect(await call('/t.T/Zeros', Buffer.alloc(2000))).toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: 'Received message larger than max (2000 vs. 1024)',
      });
      expect(await call('/t.T/Fail', Buffer.alloc(1))).toMatchObject({ code: grpc.status.INTERNAL, details: 'boom' });
      expect(await call('/t.T/ZerosNow', size(300))).toMatchObject({ code: 0, bytes: Buffer.alloc(300) });
      expect(await call('/t.T/ZerosNow', size(2000))).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      expect(await call('/t.T/FailNow', Buffer.alloc(1))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'refused now' });
    } finally {
      client.close();
      expect(await transport.shutdown(5000)).toBe(true);
    }
  });
});
