import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildWasmBundle } from '../../src/policy/opa-cli.js';
import { candidateLoader } from '../../src/shadow/candidate-source.js';
import { cleanEnv, mainJs } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

// A candidate revision shadows the active one on a real server: opa-built WASM on both sides, checks over gRPC,
// the admin API over HTTP.

const policy = (hosts: string[], header = 'v1') => `package shadowtest
import rego.v1

default decision := {"allowed": false, "http_status": 403, "rule": "url_not_allowed", "message": "URL not in the list"}

decision := {"allowed": true, "headers": {"x-policy": "${header}"}} if {
	input.mcp.tool == "fetch_url"
	some prefix in {${hosts.map((h) => JSON.stringify(h)).join(', ')}}
	startswith(input.mcp.arguments.url, prefix)
}

decision := {"allowed": true, "headers": {"x-policy": "${header}"}} if input.mcp.tool == "get_weather"
`;

const fetchUrl = (url: string, extra: Record<string, unknown> = {}) => mcpCheckRequest(toolCall('fetch_url', { url, ...extra }));
const code = (r: any): number => r.status?.code ?? 0;

describe('shadow evaluation of a candidate revision', () => {
  let s: TestServer;
  let admin: string;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${admin}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const get = async (path: string) => (await (await fetch(`${admin}${path}`)).json()) as any;
  const metric = async (name: string) => {
    const text = (await s.app.metrics.text()).body;
    return [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\d+)`, 'gm'))].map((m) => `${m[1] ?? ''} ${m[2]}`);
  };
  let base: string;
  let dirs: { active: string; tight: string; broken: string; invalid: string };

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'mcp-authz-shadow-'));
    dirs = { active: join(base, 'active'), tight: join(base, 'tight'), broken: join(base, 'broken'), invalid: join(base, 'invalid') };
    for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
    await writeFile(join(dirs.active, 'authz.rego'), policy(['https://httpbin.org/', 'https://example.com/']));
    await writeFile(join(dirs.tight, 'authz.rego'), policy(['https://httpbin.org/']));
    await writeFile(join(dirs.broken, 'authz.rego'), 'package shadowtest\n\ndecision := {"allowed": true if {\n');
    await writeFile(join(dirs.invalid, 'authz.rego'), 'package shadowtest\n\ndecision := {"allowed": "yes"}\n');
    const config = join(base, 'config.yaml');
    // bundle_poll bounds a candidate's download as they bound the server's own; its token is for policy.bundle_url's
    // origin only (none here), so a candidate URL never gets it.
    await writeFile(
      config,
      [
        'observability:\n  decision_log:\n    log_input: true\n    redact_fields: [arguments.token]',
        'policy:\n  bundle_poll:\n    max_bytes: 4000000\n    timeout_seconds: 2\n    bearer_token: poll-token-not-for-candidates\n',
      ].join('\n'),
    );
    s = await startTestServer({ policy: dirs.active, entrypoint: 'shadowtest/decision' }, config);
    admin = `http://127.0.0.1:${s.app.admin.port}/v1/policies`;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('refuses a candidate that does not compile with opa file:line, and leaves the active revision untouched', async () => {
    const active = s.app.policy();
    const r = await post('/shadow', { path: dirs.broken, by: 'alice' });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('policy_compile_failed');
    expect(r.body.error.message).toMatch(/authz\.rego:\d+/);
    expect(s.app.policy()).toBe(active);
    expect((await get('/shadow')).candidate).toBeNull();
  });

  it('refuses an action that names nobody', async () => {
    const r = await post('/shadow', { path: dirs.tight });
    expect(r).toMatchObject({ status: 400, body: { error: 'actor_required' } });
  });

  it('shows allow_to_deny differences for the calls the tightened allowlist affects, and only for them', async () => {
    const r = await post('/shadow', { path: dirs.tight, by: 'alice' });
    expect(r.status).toBe(200);
    const candidate = r.body.candidate.revision as string;
    expect(r.body.candidate.loaded_by).toBe('alice');

    const answers = [
      await s.client.check(fetchUrl('https://example.com/a', { token: 'sekrit-token-1' })),
      await s.client.check(fetchUrl('https://example.com/b')),
      await s.client.check(fetchUrl('https://httpbin.org/get')),
      await s.client.check(fetchUrl('https://malicious.example/')),
      await s.client.check(mcpCheckRequest(toolCall('get_weather', { city: 'Oslo' }))),
    ];
    // The live answers are the active revision's.
    expect(answers.map(code)).toEqual([0, 0, 0, 7, 0]);
    await s.app.shadow.idle();

    const report = await get('/shadow/report');
    expect(report.checks).toBe(5);
    expect(report.differences).toBe(2);
    expect(report.by_kind).toEqual({ allow_to_deny: 2 });
    expect(report.groups).toEqual([{ kind: 'allow_to_deny', tool: 'fetch_url', rule: 'url_not_allowed', count: 2 }]);
    const urls = report.recent.map((d: any) => d.input.mcp.arguments.url).sort();
    expect(urls).toEqual(['https://example.com/a', 'https://example.com/b']);
    const first = report.recent.find((d: any) => d.input.mcp.arguments.url === 'https://example.com/a');
    expect(first.active).toMatchObject({ decision: 'allow', headers: ['x-policy: v1'] });
    expect(first.candidate).toMatchObject({ decision: 'deny', rule: 'url_not_allowed' });
    expect(first.candidate_revision).toBe(candidate);
    // Redacted as the decision log redacts it.
    expect(first.input.mcp.arguments.token).toBe('[REDACTED]');
    expect(JSON.stringify(report)).not.toContain('sekrit-token-1');

    // The decision log marks the sampled checks with the candidate's revision.
    const lines = s.decisions.slice(-5);
    expect(lines.map((l) => l.shadow)).toEqual([candidate, candidate, candidate, candidate, candidate]);
    expect(await metric('mcp_authz_shadow_checks_total')).toEqual([' 5']);
    expect(await metric('mcp_authz_shadow_differences_total')).toContain('{kind="allow_to_deny"} 2');

    // A cache hit is not evaluated again by the candidate.
    await s.client.check(fetchUrl('https://httpbin.org/get'));
    await s.app.shadow.idle();
    expect((await get('/shadow')).checks).toBe(5);
    expect(s.decisions.at(-1)!.shadow).toBeUndefined();
  });

  it('counts a candidate that answers no valid decision as a difference of kind error, never a live deny', async () => {
    const r = await post('/shadow', { path: dirs.invalid, by: 'alice' });
    expect(r.status).toBe(200);
    const answer = await s.client.check(fetchUrl('https://httpbin.org/anything'));
    expect(code(answer)).toBe(0);
    await s.app.shadow.idle();
    const report = await get('/shadow/report');
    expect(report).toMatchObject({ checks: 1, differences: 1, by_kind: { error: 1 } });
    expect(report.recent[0].candidate).toMatchObject({ decision: 'error', reason_code: 'decision_invalid' });
  });

  it('discard leaves nothing behind', async () => {
    const before = await metric('mcp_authz_shadow_checks_total');
    const r = await post('/shadow/discard', { by: 'bob' });
    expect(r).toMatchObject({ status: 200, body: { active: s.app.policy()!.revision } });
    expect(await get('/shadow')).toMatchObject({ candidate: null, checks: 0, differences: 0 });
    await s.client.check(fetchUrl('https://example.com/after-discard'));
    await s.app.shadow.idle();
    expect(s.decisions.at(-1)!.shadow).toBeUndefined();
    expect(await metric('mcp_authz_shadow_checks_total')).toEqual(before);
    expect((await get('/shadow/report')).recent).toEqual([]);
    expect(await post('/shadow/discard', { by: 'bob' })).toMatchObject({ status: 404, body: { error: 'no_candidate' } });
  });

  it('promote changes the live answers atomically and keeps the old revision for rollback', async () => {
    const old = s.app.policy()!;
    const loaded = await post('/shadow', { path: dirs.tight, by: 'carol' });
    const candidate = loaded.body.candidate.revision as string;
    // Checks in flight around the promotion: each is answered wholly by one revision (its decision log line says which).
    const logged = s.decisions.length;
    const inFlight = Array.from({ length: 40 }, (_, i) => s.client.check(fetchUrl(`https://example.com/p${i}`)));
    const promoted = await post('/shadow/promote', { by: 'carol' });
    const during = await Promise.all(inFlight);
    expect(promoted).toMatchObject({ status: 200, body: { active: candidate } });
    const lines = s.decisions.slice(logged);
    expect(lines.length).toBe(40);
    for (const l of lines) {
      expect([old.revision, candidate]).toContain(l.policy);
      expect(`${l.policy} ${l.decision}`).toBe(`${l.policy} ${l.policy === candidate ? 'deny' : 'allow'}`);
    }
    expect(during.map(code).filter((c) => c === 7).length).toBe(lines.filter((l) => l.policy === candidate).length);

    expect(s.app.policy()!.revision).toBe(candidate);
    expect(code(await s.client.check(fetchUrl('https://example.com/now')))).toBe(7);
    expect(code(await s.client.check(fetchUrl('https://httpbin.org/now')))).toBe(0);
    expect((await get('/shadow')).candidate).toBeNull();
    expect(s.app.store.list().map((r) => r.revision)).toEqual([candidate, old.revision]);

    const back = await post('/rollback', { revision: old.revision });
    expect(back.status).toBe(200);
    expect(code(await s.client.check(fetchUrl('https://example.com/back')))).toBe(0);
  });

  it('loads a remembered revision as the candidate', async () => {
    const remembered = s.app.store.list().find((r) => !r.active)!;
    const r = await post('/shadow', { revision: remembered.revision, by: 'dave' });
    expect(r.status).toBe(200);
    expect(r.body.candidate).toMatchObject({ revision: remembered.revision, from: `revision ${remembered.revision}` });
    expect(code(await s.client.check(fetchUrl('https://example.com/remembered')))).toBe(0);
    await s.app.shadow.idle();
    expect((await get('/shadow/report')).by_kind).toEqual({ allow_to_deny: 1 });
    expect(await post('/shadow', { revision: 'nope', by: 'dave' })).toMatchObject({ status: 404, body: { error: 'revision_not_found' } });
    await post('/shadow/discard', { by: 'dave' });
  });

  it('the CLI loads a candidate, reports its differences (exit 1), refuses a broken one and discards', async () => {
    // Asynchronous: the server answers in this process.
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(
          process.execPath,
          [mainJs, 'policy', 'shadow', ...args, '--admin-addr', `127.0.0.1:${s.app.admin.port}`, '--by', 'eve'],
          { env: cleanEnv(), timeout: 60_000 },
          (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 3) : 0, stdout, stderr }),
        );
      });
    const broken = await cli('load', dirs.broken);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/load failed: .*authz\.rego:\d+.*\(policy_compile_failed\)/s);

    const loaded = await cli('load', dirs.tight);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain('by eve');
    const clean = await cli('report');
    expect(clean).toMatchObject({ code: 0 });
    expect(clean.stdout).toContain('checks 0, differences 0');

    await s.client.check(fetchUrl('https://example.com/cli'));
    await s.client.check(fetchUrl('https://httpbin.org/cli'));
    await s.app.shadow.idle();
    const report = await cli('report');
    expect(report.code).toBe(1);
    expect(report.stdout).toContain('checks 2, differences 1');
    expect(report.stdout).toMatch(/allow_to_deny\s+fetch_url\s+url_not_allowed\s+1/);
    expect(report.stdout).toContain('tools/call fetch_url: active allow [allowed] → candidate deny (url_not_allowed)');
    const json = JSON.parse((await cli('report', '--json')).stdout);
    expect(json.by_kind).toEqual({ allow_to_deny: 1 });
    expect((await cli('status')).stdout).toContain('allow_to_deny 1');
    const discarded = await cli('discard');
    expect(discarded).toMatchObject({ code: 0 });
    expect(discarded.stdout).toMatch(/^discarded /);
    expect(await cli('promote')).toMatchObject({ code: 1 });
    expect((await cli('load')).code).toBe(3);
  });

  it('replays recorded decision-log lines through the active policy and a candidate, offline', async () => {
    const logged = s.decisions.length;
    for (const url of ['https://example.com/r1', 'https://example.com/r2', 'https://httpbin.org/r3']) await s.client.check(fetchUrl(url));
    await s.client.check(mcpCheckRequest(toolCall('get_weather', { city: 'Rome' })));
    const file = join(base, 'decisions.log');
    const lines = s.decisions.slice(logged).map((l) => JSON.stringify(l));
    await writeFile(file, [...lines, JSON.stringify({ msg: 'policy_decision', decision: 'allow' }), '{"msg":"something else"}', ''].join('\n'));
    const replay = (candidate: string, ...more: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(
          process.execPath,
          [
            mainJs,
            'policy',
            'replay',
            '--policy',
            dirs.active,
            '--entrypoint',
            'shadowtest/decision',
            '--candidate',
            candidate,
            '--decisions',
            file,
            ...more,
          ],
          { env: cleanEnv(), timeout: 60_000 },
          (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 3) : 0, stdout, stderr }),
        );
      });
    const tight = await replay(dirs.tight);
    expect(tight.stderr).toBe('');
    expect(tight.code).toBe(1);
    expect(tight.stdout).toContain('replayed 4 decisions against active');
    expect(tight.stdout).toContain('(skipped 1 without input, 1 not decision lines)');
    expect(tight.stdout).toContain('checks 4, differences 2');
    expect(tight.stdout).toMatch(/allow_to_deny\s+fetch_url\s+url_not_allowed\s+2/);
    const json = JSON.parse((await replay(dirs.tight, '--json')).stdout);
    expect(json.recent.map((d: any) => d.input.mcp.arguments.url).sort()).toEqual(['https://example.com/r1', 'https://example.com/r2']);
    const same = await replay(dirs.active);
    expect(same).toMatchObject({ code: 0 });
    expect(same.stdout).toContain('checks 4, differences 0');
    const broken = await replay(dirs.broken);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/\[policy_compile_failed\].*authz\.rego:\d+/s);
  });

  it('loads a candidate from a bundle URL as the server downloads --bundle-url bundles, with their limits and errors', async () => {
    // A real HTTP server on loopback serving an opa-built bundle of the tightened policy, and some bad answers.
    const tightBundle = await buildWasmBundle(dirs.tight, 'shadowtest/decision');
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const http: Server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const path = (req.url ?? '').split('?')[0];
      if (path === '/tight.tar.gz') res.writeHead(200, { 'content-type': 'application/gzip', etag: '"t1"' }).end(tightBundle);
      else if (path === '/huge.tar.gz') res.writeHead(200).end(Buffer.alloc(5_000_000, 1));
      else if (path === '/garbage.tar.gz') res.writeHead(200).end('this is not a bundle');
      else if (path === '/slow.tar.gz')
        res.writeHead(200).write('x'); // never ends: the timeout cuts it
      else res.writeHead(404).end('no such bundle');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const active = s.app.policy()!.revision;
      const r = await post('/shadow', { url: `${origin}/tight.tar.gz?sig=secret-signature`, by: 'frank' });
      expect(r.status).toBe(200);
      // Shown and logged without the query string (a signed URL's secret is there).
      expect(r.body.candidate).toMatchObject({ from: `${origin}/tight.tar.gz`, loaded_by: 'frank' });
      expect(JSON.stringify(r.body)).not.toContain('secret-signature');
      expect(seen.at(-1)!.url).toBe('/tight.tar.gz?sig=secret-signature');
      expect(seen.every((x) => x.headers.authorization === undefined)).toBe(true);
      expect(code(await s.client.check(fetchUrl('https://example.com/url')))).toBe(0);
      expect(code(await s.client.check(fetchUrl('https://httpbin.org/url')))).toBe(0);
      await s.app.shadow.idle();
      const report = await get('/shadow/report');
      expect(report).toMatchObject({ checks: 2, differences: 1, by_kind: { allow_to_deny: 1 } });
      expect(report.recent[0].input.mcp.arguments.url).toBe('https://example.com/url');

      // Refusals: the downloader's errors as bundle_download_failed (422), a bad body as the bundle reader's; the
      // candidate loaded before stays, and so does the active revision.
      const refused = async (url: string) => {
        const x = await post('/shadow', { url, by: 'frank' });
        expect(x.status).toBe(422);
        expect(x.body.active).toBe(active);
        return x.body.error as { code: string; message: string };
      };
      expect(await refused(`${origin}/missing.tar.gz`)).toEqual({
        code: 'bundle_download_failed',
        message: `GET ${origin}/missing.tar.gz: HTTP 404 (http_status)`,
      });
      expect(await refused(`${origin}/huge.tar.gz`)).toEqual({
        code: 'bundle_download_failed',
        message: `GET ${origin}/huge.tar.gz: bundle larger than 4000000 bytes; refused (too_large)`,
      });
      expect(await refused(`${origin}/slow.tar.gz`)).toEqual({
        code: 'bundle_download_failed',
        message: `GET ${origin}/slow.tar.gz: no complete response within 2000 ms (timeout)`,
      });
      expect((await refused(`http://user:pw@127.0.0.1:1/x.tar.gz`)).message).toBe('credentials in the URL are refused; use a bearer token');
      const garbage = await refused(`${origin}/garbage.tar.gz`);
      expect(garbage.code).toBe('bundle_unreadable');
      expect(garbage.message).toContain(`${origin}/garbage.tar.gz: not a readable bundle tarball`);
      expect(await post('/shadow', { url: 'ftp://127.0.0.1/x', by: 'frank' })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
      expect(await post('/shadow', { url: `${origin}/tight.tar.gz`, path: dirs.tight, by: 'frank' })).toMatchObject({ status: 400 });
      expect(s.app.policy()!.revision).toBe(active);
      expect((await get('/shadow')).candidate.from).toBe(`${origin}/tight.tar.gz`);
      await post('/shadow/discard', { by: 'frank' });

      // The CLI: policy shadow load --url.
      const cli = (...args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
          execFile(
            process.execPath,
            [mainJs, 'policy', 'shadow', ...args, '--admin-addr', `127.0.0.1:${s.app.admin.port}`, '--by', 'gina'],
            { env: cleanEnv(), timeout: 60_000 },
            (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 3) : 0, stdout, stderr }),
          );
        });
      const loaded = await cli('load', '--url', `${origin}/tight.tar.gz`);
      expect(loaded.code).toBe(0);
      expect(loaded.stdout).toContain(`from ${origin}/tight.tar.gz`);
      expect(loaded.stdout).toContain('by gina');
      const missing = await cli('load', '--url', `${origin}/missing.tar.gz`);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe(`load failed: GET ${origin}/missing.tar.gz: HTTP 404 (http_status) (bundle_download_failed)\n`);
      const both = await cli('load', dirs.tight, '--url', `${origin}/tight.tar.gz`);
      expect(both.code).toBe(3);
      expect(both.stderr).toContain('load needs a PATH, --url URL or --revision REV (one of them)');
      expect((await cli('discard')).code).toBe(0);

      // The poll token goes to policy.bundle_url's origin (here: this one) and nowhere else.
      const common = { dataFiles: [], entrypoint: 'shadowtest/decision', maxMemoryPages: 2048 };
      const remote = { timeoutMs: 2000, maxBytes: 4_000_000, bearerToken: 'poll-token' };
      await candidateLoader(common, s.app.store, { ...remote, tokenOrigin: origin })({ url: `${origin}/tight.tar.gz` });
      expect(seen.at(-1)!.headers.authorization).toBe('Bearer poll-token');
      await candidateLoader(common, s.app.store, { ...remote, tokenOrigin: 'https://bundles.example.com' })({ url: `${origin}/tight.tar.gz` });
      expect(seen.at(-1)!.headers.authorization).toBeUndefined();
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  }, 60_000);

  it("replays the console's buffer of recent decisions (policy replay --from-console)", async () => {
    await s.client.check(fetchUrl('https://example.com/console-replay'));
    await s.client.check(fetchUrl('https://httpbin.org/console-replay'));
    // The buffer as decision-log lines, oldest first, with their redacted inputs.
    const res = await fetch(`http://127.0.0.1:${s.app.admin.port}/v1/decisions/export`);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe((await (await fetch(`http://127.0.0.1:${s.app.admin.port}/v1/decisions?limit=1`)).json()).size);
    expect(lines.at(-1)).toMatchObject({
      msg: 'policy_decision',
      decision: 'allow',
      tool: 'fetch_url',
      input: { mcp: { arguments: { url: 'https://httpbin.org/console-replay' } } },
    });
    expect(JSON.stringify(lines)).not.toContain('sekrit-token-1');
    // What the candidate would deny: fetch_url calls to example.com, which only the active revision allows.
    const expected = lines.filter((l) => String(l.input?.mcp?.arguments?.url ?? '').startsWith('https://example.com/')).length;
    expect(expected).toBeGreaterThan(0);

    const replay = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(
          process.execPath,
          [mainJs, 'policy', 'replay', '--policy', dirs.active, '--entrypoint', 'shadowtest/decision', '--candidate', dirs.tight, ...args],
          { env: cleanEnv(), timeout: 60_000 },
          (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 3) : 0, stdout, stderr }),
        );
      });
    const r = await replay('--from-console', '--admin-addr', `127.0.0.1:${s.app.admin.port}`, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ replayed: lines.length, differences: expected, by_kind: { allow_to_deny: expected } });
    expect(report.groups).toEqual([{ kind: 'allow_to_deny', tool: 'fetch_url', rule: 'url_not_allowed', count: expected }]);
    // One source only; a server that does not answer is an error (3) that says where it looked.
    const both = await replay('--from-console', '--decisions', '-');
    expect(both.code).toBe(3);
    expect(both.stderr).toContain('give --decisions FILE or --from-console (one of them)');
    const away = await replay('--from-console', '--admin-addr', '127.0.0.1:1');
    expect(away.code).toBe(3);
    expect(away.stderr).toContain('mcp-authz policy replay: cannot reach the admin API at http://127.0.0.1:1/v1/decisions/export');
  });
});
