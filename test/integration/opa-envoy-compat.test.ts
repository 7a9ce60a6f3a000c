import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startCli } from '../helpers/cli.js';
import { type CheckClient, checkClient, httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';

// compat: opa-envoy: opa-envoy-plugin policies give the plugin's CheckResponse. Each request goes to mcp-authz
// (with the entrypoint in envoy/, so compat is automatic) and, when `opa-envoy-plugin` is on PATH, to the real
// plugin running the same Rego; the normalised responses must be equal. Without the plugin the expectations
// (read from its source, envoyauth/ and internal/internal.go) are checked against mcp-authz alone.

const plugin = spawnSync('sh', ['-c', 'command -v opa-envoy-plugin'], { encoding: 'utf8' }).stdout.trim();
if (!plugin) console.warn('opa-envoy-compat: opa-envoy-plugin is not on PATH; comparing mcp-authz with the expected responses only');

const form = (body: string, contentType = 'application/x-www-form-urlencoded', extra: Record<string, string> = {}) =>
  mcpCheckRequest(body, { headers: { 'content-type': contentType, ...extra }, path: '/submit' });
const multipart = (parts: string[]) => `--XyZ\r\n${parts.join('\r\n--XyZ\r\n')}\r\n--XyZ--\r\n`;

/** The parts of a CheckResponse both servers must agree on; decision_id checked for shape, then dropped. */
function normalise(res: any) {
  const header = (h: any) => [h.header.key.toLowerCase(), h.header.value];
  const fields = { ...(res.dynamic_metadata?.fields ?? {}) };
  const decisionId = fields.decision_id?.stringValue;
  delete fields.decision_id;
  const denied = res.denied_response;
  const ok = res.ok_response;
  return {
    status: res.status?.code ?? 0,
    decision_id: decisionId === undefined ? 'none' : /^[0-9a-f-]{36}$/.test(decisionId) ? 'uuid' : decisionId,
    metadata: Object.fromEntries(Object.entries(fields).map(([k, v]: [string, any]) => [k, v.stringValue ?? v.boolValue ?? v.numberValue ?? v])),
    ok: ok && {
      headers: (ok.headers ?? []).map(header),
      remove: ok.headers_to_remove ?? [],
      response: (ok.response_headers_to_add ?? []).map(header),
    },
    denied: denied && {
      http: httpStatus(denied.status),
      headers: (denied.headers ?? []).map(header),
      // The parse error's text is Go's in the plugin, mcp-authz's own here: compare the prefix.
      body: (denied.body ?? '').startsWith('request_parse_error: ') ? 'request_parse_error: …' : (denied.body ?? ''),
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startPlugin(dir: string, path: string): Promise<{ child: ChildProcess; client: CheckClient }> {
  const port = await freePort();
  const work = mkdtempSync(join(tmpdir(), 'opa-envoy-'));
  const cfg = join(work, 'config.yaml');
  writeFileSync(cfg, `plugins:\n  envoy_ext_authz_grpc:\n    addr: 127.0.0.1:${port}\n    path: ${path}\ndecision_logs:\n  console: false\n`);
  const child = spawn(plugin, ['run', '--server', '--skip-version-check', '--addr', `127.0.0.1:${await freePort()}`, '--config-file', cfg, dir], {
    stdio: 'ignore',
  });
  const client = checkClient(`127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) {
    try {
      await client.check(form('user=probe'));
      return { child, client };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('opa-envoy-plugin did not start');
}

interface Pair {
  ours: RunningServer;
  oursClient: CheckClient;
  peer?: { child: ChildProcess; client: CheckClient };
}

async function pair(dir: string, entrypoint: string): Promise<Pair> {
  const ours = await startCli(['--policy', dir, '--entrypoint', entrypoint, '--workers', '1']);
  return { ours, oursClient: checkClient(`127.0.0.1:${ours.grpcPort}`), ...(plugin ? { peer: await startPlugin(dir, entrypoint) } : {}) };
}

async function compare(p: Pair, request: unknown, expected: ReturnType<typeof normalise>) {
  const ours = normalise(await p.oursClient.check(request));
  if (p.peer) expect(ours).toEqual(normalise(await p.peer.client.check(request)));
  expect(ours).toEqual(expected);
}

const none = { metadata: {}, ok: undefined, denied: undefined };

describe('compat: opa-envoy (object decisions)', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await pair(join(repoRoot, 'test/fixtures/policies/opa-envoy'), 'envoy/authz/allow');
  });
  afterAll(async () => {
    p.oursClient.close();
    p.peer?.client.close();
    p.peer?.child.kill();
    await p.ours.stop();
  });

  it('parses a form body into parsed_body; an allow carries the decision’s headers and metadata plus decision_id', () =>
    compare(p, form('user=alice&x=1'), {
      ...none,
      status: 0,
      decision_id: 'uuid',
      metadata: { who: 'alice' },
      ok: { headers: [['x-user', 'alice']], remove: [], response: [] },
    }));

  it('a denial with a body, status and headers gives exactly those', () =>
    compare(p, form('user=mallory'), {
      ...none,
      status: 7,
      decision_id: 'uuid',
      denied: { http: 401, headers: [['www-authenticate', 'Bearer']], body: 'who are you?' },
    }));

  it('a denial whose decision gives no body has no body (and no content-type)', () =>
    compare(p, form('user=bob'), { ...none, status: 7, decision_id: 'uuid', denied: { http: 403, headers: [], body: '' } }));

  it('a JSON body is parsed; removals are only the decision’s', () =>
    compare(p, mcpCheckRequest({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      ...none,
      status: 0,
      decision_id: 'uuid',
      ok: { headers: [], remove: ['x-debug'], response: [] },
    }));

  it('a multipart/form-data body is parsed, JSON parts as JSON', () =>
    compare(
      p,
      form(
        multipart([
          'Content-Disposition: form-data; name="doc"\r\nContent-Type: application/json\r\n\r\n{"a": 1}',
          'Content-Disposition: form-data; name="note"\r\n\r\nhi there',
        ]),
        'multipart/form-data; boundary=XyZ',
      ),
      { ...none, status: 0, decision_id: 'uuid', ok: { headers: [], remove: [], response: [['x-doc', 'ok']] } },
    ));

  it('a body without a parse (GET) is parsed_body null', () =>
    compare(p, mcpCheckRequest('', { method: 'GET', path: '/health', headers: { 'content-type': '' } }), {
      ...none,
      status: 0,
      decision_id: 'uuid',
      ok: { headers: [], remove: [], response: [] },
    }));

  it('invalid JSON is answered 400 by the server, without decision_id', () =>
    compare(p, mcpCheckRequest('{"jsonrpc": "2.0",'), {
      ...none,
      status: 7,
      decision_id: 'none',
      denied: { http: 400, headers: [], body: 'request_parse_error: …' },
    }));

  it('a form body with a bad escape is answered 400 by the server', () =>
    compare(p, form('user=%zz'), { ...none, status: 7, decision_id: 'none', denied: { http: 400, headers: [], body: 'request_parse_error: …' } }));
});

describe('compat: opa-envoy (boolean decisions)', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await pair(join(repoRoot, 'test/fixtures/policies/opa-envoy-bool'), 'envoy/bool/allow');
  });
  afterAll(async () => {
    p.oursClient.close();
    p.peer?.client.close();
    p.peer?.child.kill();
    await p.ours.stop();
  });

  it('true: status OK and decision_id, no HTTP fields', () => compare(p, form('user=alice'), { ...none, status: 0, decision_id: 'uuid' }));
  it('false: PERMISSION_DENIED and decision_id, no denied_response (Envoy answers 403)', () =>
    compare(p, form('user=eve'), { ...none, status: 7, decision_id: 'uuid' }));
});
