// The console's Shadow page in a real browser (Debian's chromium driven by playwright-core), against a real server
// with opa-built policies and checks over gRPC: a candidate that tightens a URL allowlist is loaded from the page,
// its differences appear grouped by kind, tool and rule, one opens in the playground with both answers, and it is
// promoted; a remembered revision is loaded and discarded, a broken one is refused with opa's file:line.
// Screenshots go to build/screenshots (docs/images with UPDATE_SCREENSHOTS=1).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWasmBundle } from '../../src/policy/opa-cli.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { launchChromium, newTestPage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const shots = process.env.UPDATE_SCREENSHOTS ? join(repoRoot, 'docs', 'images') : join(repoRoot, 'build', 'screenshots');
const POLL = { timeout: 15_000, interval: 200 };

const policy = (hosts: string[]) => `package shadowtest
import rego.v1

default decision := {"allowed": false, "http_status": 403, "rule": "url_not_allowed", "message": "URL not in the list"}

decision := {"allowed": true, "headers": {"x-policy": "v1"}} if {
	input.mcp.tool == "fetch_url"
	some prefix in {${hosts.map((h) => JSON.stringify(h)).join(', ')}}
	startswith(input.mcp.arguments.url, prefix)
}

decision := {"allowed": true, "headers": {"x-policy": "v1"}} if input.mcp.tool == "get_weather"
`;

const fetchUrl = (url: string, extra: Record<string, unknown> = {}) => mcpCheckRequest(toolCall('fetch_url', { url, ...extra }));
const code = (r: any): number => r.status?.code ?? 0;

let tmp: string;
let dirs: { active: string; tight: string; broken: string };
let server: TestServer;
let browser: Browser;
let page: Page;
let base: string;
let bundles: Server;
let bundleOrigin: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-shadow-console-'));
  dirs = { active: join(tmp, 'active'), tight: join(tmp, 'tight'), broken: join(tmp, 'broken') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  await writeFile(join(dirs.active, 'authz.rego'), policy(['https://httpbin.org/', 'https://example.com/']));
  await writeFile(join(dirs.tight, 'authz.rego'), policy(['https://httpbin.org/']));
  await writeFile(join(dirs.broken, 'authz.rego'), 'package shadowtest\n\ndecision := {"allowed": true if {\n');
  const config = join(tmp, 'config.yaml');
  await writeFile(config, 'observability:\n  decision_log:\n    log_input: true\n    redact_fields: [arguments.token]\n');
  server = await startTestServer({ policy: dirs.active, entrypoint: 'shadowtest/decision' }, config);
  // A bundle server on loopback with the tightened policy, opa-built.
  const tight = await buildWasmBundle(dirs.tight, 'shadowtest/decision');
  bundles = createServer((req, res) => (req.url === '/tight.tar.gz' ? res.writeHead(200).end(tight) : res.writeHead(404).end()));
  await new Promise<void>((r) => bundles.listen(0, '127.0.0.1', r));
  bundleOrigin = `http://127.0.0.1:${(bundles.address() as AddressInfo).port}`;
  base = `http://127.0.0.1:${server.app.admin.port}`;
  browser = await launchChromium();
  page = await newTestPage(browser, { width: 1360, height: 900 });
  await mkdir(shots, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((r) => (bundles ? bundles.close(r) : r(undefined)));
  await rm(tmp, { recursive: true, force: true });
});

describe('console Shadow page (Chromium)', () => {
  it('loads a tightened candidate, shows its differences grouped, opens one in the playground with both answers, and promotes it', async () => {
    const active = server.app.policy()!.revision;
    await page.goto(`${base}/console/#/shadow`);
    await page.locator('#no-candidate').waitFor();

    // Load from a path, behind a confirmation given under a name.
    await page.fill('input[name=actor]', 'alice');
    await page.fill('input[name=candidate-path]', dirs.tight);
    await page.getByRole('button', { name: 'Load path…' }).click();
    const loadDialog = page.getByRole('dialog', { name: 'load shadow candidate' });
    expect(await loadDialog.textContent()).toContain(dirs.tight);
    await loadDialog.getByRole('button', { name: 'Load as alice' }).click();
    await page.locator('#candidate-revision').waitFor();
    const candidate = (await page.locator('#candidate-revision').textContent())!;
    expect(server.app.shadow.candidate()).toMatchObject({ loadedBy: 'alice', policy: { revision: candidate } });
    expect(candidate).not.toBe(active);

    // Live traffic over gRPC, answered by the active revision; the page shows the differences without a reload.
    const answers = [
      await server.client.check(fetchUrl('https://example.com/a', { token: 'sekrit-token-1' })),
      await server.client.check(fetchUrl('https://example.com/b')),
      await server.client.check(fetchUrl('https://httpbin.org/get')),
      await server.client.check(mcpCheckRequest(toolCall('get_weather', { city: 'Oslo' }))),
      await server.client.check(fetchUrl('https://malicious.example/')),
    ];
    expect(answers.map(code)).toEqual([0, 0, 0, 0, 7]);
    const groups = page.locator('#shadow-groups tbody tr');
    await expect.poll(() => groups.allTextContents(), POLL).toEqual(['allow → denyfetch_urlurl_not_allowed2']);
    await expect.poll(() => page.locator('#shadow-counts').textContent(), POLL).toContain('5 evaluated · 2 differences');
    expect(await page.locator('#shadow-differences tbody tr').count()).toBe(2);

    // One difference: the redacted request and both answers side by side.
    await groups.first().click();
    await page.locator('#shadow-differences tbody tr', { hasText: 'fetch_url' }).first().waitFor();
    const rows = page.locator('#shadow-differences tbody tr');
    await rows.last().click(); // the older one: example.com/a, with a token
    const detail = page.locator('#shadow-detail');
    await detail.locator('#shadow-input').waitFor();
    const input = JSON.parse((await detail.locator('#shadow-input').textContent())!);
    expect(input.mcp.arguments).toEqual({ url: 'https://example.com/a', token: '[REDACTED]' });
    const compare = await detail.locator('table.compare tbody tr').allTextContents();
    expect(compare).toEqual([
      `revision${active}${candidate}`,
      'decisionallowdeny',
      'rule-url_not_allowed',
      'reason codeallowedpolicy_denied',
      'headersx-policy: v1',
      'message-URL not in the list',
    ]);
    expect(await page.content()).not.toContain('sekrit-token-1');
    await page.screenshot({ path: join(shots, 'console-shadow.png'), fullPage: true });

    // In the playground: the same request against the active revision and the candidate.
    await detail.getByRole('button', { name: 'Open in playground' }).click();
    await page.locator('textarea[name=body]').waitFor();
    expect(await page.inputValue('textarea[name=body]')).toContain('https://example.com/a');
    await expect.poll(() => page.inputValue('select[name=revision]'), POLL).toBe(active);
    await expect.poll(() => page.locator('input[name=compare]').isChecked(), POLL).toBe(true);
    await page.click('#run-check');
    await page.locator('#candidate-result').waitFor();
    expect(await page.locator('#check-result .badge').first().textContent()).toBe('allow');
    expect(await page.locator('#result-policy').textContent()).toContain(active);
    expect(await page.locator('#candidate-result .badge').first().textContent()).toBe('deny');
    expect(await page.locator('#candidate-result-rule').textContent()).toBe('url_not_allowed');
    expect(await page.locator('#candidate-result-policy').textContent()).toContain(candidate);
    expect(await page.locator('#compare-verdict').textContent()).toBe('The candidate answers differently.');
    await page.screenshot({ path: join(shots, 'console-shadow-playground.png'), fullPage: true });
    // A request the candidate answers the same way.
    await page.fill('textarea[name=body]', JSON.stringify(toolCall('fetch_url', { url: 'https://httpbin.org/anything' })));
    await page.click('#run-check');
    await expect.poll(() => page.locator('#compare-verdict').textContent(), POLL).toBe('The candidate answers the same.');

    // Promote from the page: the confirmation repeats the differences; then the live answers are the candidate's.
    await page.goto(`${base}/console/#/shadow`);
    await page.getByRole('button', { name: 'Promote…' }).click();
    const promote = page.getByRole('dialog', { name: 'promote shadow candidate' });
    expect(await promote.textContent()).toContain('2 in 5 checks · allow → deny 2');
    expect(await promote.textContent()).toContain(`${active} stays remembered for rollback`);
    await promote.getByRole('button', { name: 'Promote as alice' }).click();
    await page.locator('#shadow-message', { hasText: `promoted: active ${candidate}` }).waitFor();
    await page.locator('#no-candidate').waitFor();
    expect(server.app.policy()!.revision).toBe(candidate);
    expect(code(await server.client.check(fetchUrl('https://example.com/after')))).toBe(7);
    expect(code(await server.client.check(fetchUrl('https://httpbin.org/after')))).toBe(0);
    expect(server.app.store.list().map((r) => r.revision)).toEqual([candidate, active]);
  });

  it('loads a remembered revision and discards it; refuses a broken candidate with opa file:line; a cross-site write is refused', async () => {
    const old = server.app.store.list().find((r) => !r.active)!.revision;
    await page.goto(`${base}/console/#/shadow`);
    await page.locator('#no-candidate').waitFor();
    await expect.poll(() => page.locator('select[name=candidate-revision] option').count(), POLL).toBe(3);
    await page.selectOption('select[name=candidate-revision]', old);
    await page.getByRole('button', { name: 'Load revision…' }).click();
    await page.getByRole('dialog', { name: 'load shadow candidate' }).getByRole('button', { name: 'Load as alice' }).click();
    await expect.poll(() => page.locator('#candidate-revision').textContent(), POLL).toBe(old);
    // The remembered (looser) revision allows what the active one denies.
    expect(code(await server.client.check(fetchUrl('https://example.com/back')))).toBe(7);
    await expect.poll(() => page.locator('#shadow-groups tbody tr').allTextContents(), POLL).toEqual(['deny → allowfetch_urlurl_not_allowed1']);

    // A cross-site page cannot discard it (the admin guard), the page can.
    const csrf = await fetch(`${base}/v1/policies/shadow/discard`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'mallory' }),
    });
    expect(csrf.status).toBe(403);
    expect((await csrf.json()).error).toBe('csrf_rejected');
    await page.getByRole('button', { name: 'Discard…' }).click();
    const discard = page.getByRole('dialog', { name: 'discard shadow candidate' });
    expect(await discard.textContent()).toContain('1 in 1 checks · deny → allow 1');
    await discard.getByRole('button', { name: 'Discard as alice' }).click();
    await page.locator('#shadow-message', { hasText: `discarded ${old}` }).waitFor();
    await page.locator('#no-candidate').waitFor();
    expect(server.app.shadow.candidate()).toBeUndefined();
    expect(await page.locator('#shadow-groups tbody tr').count()).toBe(0);
    // Without a candidate the playground says so instead of answering with another revision.
    const body = JSON.stringify(toolCall('fetch_url', { url: 'https://example.com/x' }));
    const none = await fetch(`${base}/v1/playground/check`, { method: 'POST', body: JSON.stringify({ body, candidate: true }) });
    expect([none.status, (await none.json()).error]).toEqual([404, 'no_candidate']);
    const both = await fetch(`${base}/v1/playground/check`, { method: 'POST', body: JSON.stringify({ body, candidate: true, revision: old }) });
    expect(both.status).toBe(400);

    // A candidate that does not compile: opa's file:line on the page, nothing loaded.
    await page.fill('input[name=candidate-path]', dirs.broken);
    await page.getByRole('button', { name: 'Load path…' }).click();
    await page.getByRole('dialog', { name: 'load shadow candidate' }).getByRole('button', { name: 'Load as alice' }).click();
    await expect
      .poll(() => page.locator('#shadow-message').textContent(), POLL)
      .toMatch(/^load failed: .*authz\.rego:\d+.*\(policy_compile_failed\)$/s);
    expect(server.app.shadow.candidate()).toBeUndefined();
    await page.locator('#no-candidate').waitFor();

    // From a bundle URL the server downloads; a URL that answers 404 is refused with the downloader's message.
    await page.fill('input[name=candidate-url]', `${bundleOrigin}/missing.tar.gz`);
    await page.getByRole('button', { name: 'Load URL…' }).click();
    await page.getByRole('dialog', { name: 'load shadow candidate' }).getByRole('button', { name: 'Load as alice' }).click();
    await expect
      .poll(() => page.locator('#shadow-message').textContent(), POLL)
      .toBe(`load failed: GET ${bundleOrigin}/missing.tar.gz: HTTP 404 (http_status) (bundle_download_failed)`);
    await page.fill('input[name=candidate-url]', `${bundleOrigin}/tight.tar.gz`);
    await page.getByRole('button', { name: 'Load URL…' }).click();
    const dialog = page.getByRole('dialog', { name: 'load shadow candidate' });
    expect(await dialog.textContent()).toContain(`${bundleOrigin}/tight.tar.gz`);
    await dialog.getByRole('button', { name: 'Load as alice' }).click();
    await page.locator('#candidate-revision').waitFor();
    expect(await page.locator('#shadow-candidate').textContent()).toContain(`from${bundleOrigin}/tight.tar.gz`);
    expect(server.app.shadow.candidate()).toMatchObject({ from: `${bundleOrigin}/tight.tar.gz`, loadedBy: 'alice' });
    await page.getByRole('button', { name: 'Discard…' }).click();
    await page.getByRole('dialog', { name: 'discard shadow candidate' }).getByRole('button', { name: 'Discard as alice' }).click();
    await page.locator('#no-candidate').waitFor();
  });
});
