// The console in a real browser: Debian's chromium driven by playwright-core (scripts/install-services.sh installs
// it). A user approves a pending call and sees the retry pass; the playground answers exactly as
// `mcp-authz check --json`. Screenshots of each page go to build/screenshots (docs/images with UPDATE_SCREENSHOTS=1).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check as checkCli } from '../../src/cli/check.js';
import { actionFirewallAlwaysOpen, check, PAYMENT_AGENT, payment } from '../helpers/approvals.js';
import { launchChromium, newTestPage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

const shots = process.env.UPDATE_SCREENSHOTS ? join(repoRoot, 'docs', 'images') : join(repoRoot, 'build', 'screenshots');
let tmp: string;
let data: string;
let server: TestServer;
let browser: Browser;
let page: Page;
let base: string;
// The live view polls every second; on a loaded machine give it time.
const POLL = { timeout: 15_000, interval: 200 };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-console-'));
  data = await actionFirewallAlwaysOpen(tmp);
  server = await startTestServer({ data: [data] });
  base = `http://127.0.0.1:${server.app.admin.port}`;
  browser = await launchChromium();
  page = await newTestPage(browser, { width: 1360, height: 820 });
  await mkdir(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function cliJson(args: string[]): Promise<any> {
  let out = '';
  const sink = new Writable({
    write(c, _e, cb) {
      out += c.toString();
      cb();
    },
  });
  await checkCli(args, {}, sink as unknown as typeof process.stdout, sink as unknown as typeof process.stderr);
  return JSON.parse(out);
}

describe('console (Chromium)', () => {
  it('approvals: a user approves a pending call and the agent’s retry passes', async () => {
    const first = await check(server, payment(50000));
    expect(first.body.error).toBe('approval_required');
    const id = first.body.approval_id;

    await page.goto(`${base}/console/#/approvals`);
    const row = page.locator(`#pending tr[data-id="${id}"]`);
    await row.waitFor();
    await expect.poll(() => row.textContent(), POLL).toContain('payment-agent');
    // The row shows what would be approved: the redacted arguments.
    expect(await row.textContent()).toContain('"amount":50000');
    await page.fill('input[name=approver]', 'alice');
    await row.getByRole('button', { name: 'Approve…' }).click();
    // A confirmation repeats the call, with its own uses, TTL and reason.
    const dialog = page.getByRole('dialog', { name: 'approve approval' });
    await dialog.waitFor();
    expect(await dialog.locator('#confirm-arguments').textContent()).toContain('"amount": 50000');
    expect(await dialog.textContent()).toContain(id);
    await dialog.locator('input[name=reason]').fill('invoice 42');
    await page.screenshot({ path: join(shots, 'console-approvals.png') });
    await dialog.getByRole('button', { name: 'Approve as alice' }).click();
    await page.locator('#approval-message').filter({ hasText: 'approved' }).waitFor();
    await expect.poll(() => page.locator(`#pending tr[data-id="${id}"]`).count(), POLL).toBe(0);
    await page.locator('#history td', { hasText: 'alice' }).first().waitFor();

    const retry = await check(server, payment(50000));
    expect(retry).toMatchObject({ allowed: true, headers: { 'x-mcp-authz-approval-id': id } });
    expect(server.decisions.findLast((d) => d.approved_by)).toMatchObject({ approved_by: 'alice', approval_id: id });
  });

  it('approvals: search, a deep link per approval, a named approver required, and re-opening an expired one', async () => {
    const small = (await check(server, payment(50001))).body.approval_id as string;
    const large = (await check(server, payment(77000))).body.approval_id as string;
    await page.goto(`${base}/console/#/approvals`);
    await page.locator(`#pending tr[data-id="${large}"]`).waitFor();
    await page.fill('input[name=search]', '77000');
    await expect.poll(() => page.locator('#pending tbody tr').count(), POLL).toBe(1);
    expect(await page.locator('#pending tbody tr').getAttribute('data-id')).toBe(large);
    await page.fill('input[name=search]', '');

    // Without a name, the confirmation cannot be given.
    await page.fill('input[name=approver]', '');
    await page.locator(`#pending tr[data-id="${small}"]`).getByRole('button', { name: 'Reject…' }).click();
    const dialog = page.getByRole('dialog', { name: 'reject approval' });
    expect(await dialog.getByRole('button', { name: /^Reject as/ }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // The deep link the webhook sends opens this approval's page.
    await page.goto(`${base}/console/approvals/${encodeURIComponent(large)}`);
    const detail = page.locator('#approval-detail');
    await detail.getByText(large).waitFor();
    expect(page.url()).toBe(`${base}/console/#/approvals/${encodeURIComponent(large)}`);

    // An expired grant can be re-opened from the console, without the agent asking again.
    const res = await fetch(`${base}/v1/approvals/${encodeURIComponent(large)}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'alice', ttl: '1s' }),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    await page.reload();
    await detail.locator('.badge.expired').waitFor();
    await page.fill('input[name=approver]', 'carol');
    await detail.getByRole('button', { name: 'Re-open as pending' }).click();
    await detail.locator('.badge.pending').waitFor();
    await page.locator('#history td', { hasText: 'reopened' }).first().waitFor();
    const after = await (await fetch(`${base}/v1/approvals/${encodeURIComponent(large)}`)).json();
    expect(after.approval.status).toBe('pending');
    expect(after.events.at(-1)).toMatchObject({ action: 'reopened', actor: 'carol' });
  });

  it('decisions: live, filtered, with a detail view of the redacted input', async () => {
    await check(server, toolCallWithUrl('http://10.0.0.8/admin'));
    await check(server, payment(5));
    await page.goto(`${base}/console/#/decisions`);
    await page.locator('#decisions tbody tr').first().waitFor();
    // A decision made while the page is open appears without reloading.
    await check(server, payment(7, { memo: 'live' }));
    await expect.poll(() => page.locator('#decisions tbody tr').count(), POLL).toBeGreaterThanOrEqual(5);
    await page.selectOption('select[name=decision]', 'deny');
    await expect.poll(async () => (await page.locator('#decisions tbody tr').allTextContents()).every((t) => t.includes('deny')), POLL).toBe(true);
    await page.locator('#decisions tbody tr').first().click();
    const detail = page.locator('#decision-detail');
    await detail.getByText('private_network_url').first().waitFor();
    const text = await detail.textContent();
    expect(text).toContain(server.app.policy()!.revision);
    expect(text).toContain('matched rules');
    expect(text).toContain('http://10.0.0.8/admin');
    await page.selectOption('select[name=decision]', '');
    await expect.poll(() => page.locator('#decisions tbody tr').count(), POLL).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(shots, 'console-decisions.png') });
    await page.fill('input[name=rule]', 'large-payment');
    await page.locator('input[name=rule]').press('Tab');
    await expect
      .poll(async () => (await page.locator('#decisions tbody tr').allTextContents()).some((t) => t.includes('approved by alice')), POLL)
      .toBe(true);
    await page.locator('#decisions tbody tr', { hasText: 'approved by alice' }).first().click();
    await detail.getByText('approval_granted').waitFor();
    expect(await detail.textContent()).toContain('approved by alice');
  });

  it('a decision opens in the playground with its request, and answers the same there', async () => {
    await check(server, toolCallWithUrl('http://10.9.9.9/internal'));
    await page.goto(`${base}/console/#/decisions`);
    await page.reload(); // a fresh page: the previous test left filters set
    const row = page.locator('#decisions tbody tr', { hasText: 'private_network_url' }).first();
    await row.waitFor();
    await row.click();
    await page.locator('#decision-detail').getByText('http://10.9.9.9/internal').first().waitFor();
    await page.getByRole('button', { name: 'Open in playground' }).click();
    await page.locator('textarea[name=body]').waitFor();
    expect(await page.inputValue('textarea[name=body]')).toContain('http://10.9.9.9/internal');
    expect(await page.inputValue('input[name=principal]')).toBe(PAYMENT_AGENT);
    await expect.poll(() => page.inputValue('select[name=revision]'), POLL).toBe(server.app.policy()!.revision);
    await page.click('#run-check');
    await expect.poll(() => page.locator('#result-rule').textContent(), POLL).toBe('private_network_url');
  });

  it('at a narrow width the columns stack and badges stay on one line; HEAD /console/ answers like GET', async () => {
    const narrow = await browser.newPage({ viewport: { width: 560, height: 900 } });
    try {
      await narrow.goto(`${base}/console/#/approvals`);
      const split = narrow.locator('.split').first();
      await split.waitFor();
      const columns = await split.evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
      expect(columns).toBe(1);
      const badge = narrow.locator('#approvals .badge').first();
      await badge.waitFor();
      const box = (await badge.boundingBox())!;
      // One line of 12px text with its padding, not two ("pendin g").
      expect(box.height).toBeLessThan(26);
      await narrow.screenshot({ path: join(shots, 'console-narrow.png') });
    } finally {
      await narrow.close();
    }
    const head = await fetch(`${base}/console/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('text/html');
    expect(await head.text()).toBe('');
  });

  it('policy: revisions with the active one', async () => {
    await page.goto(`${base}/console/#/policy`);
    const active = page.locator('#revisions tr', { hasText: 'active' });
    await active.waitFor();
    expect(await active.textContent()).toContain(server.app.policy()!.revision);
    await page.getByRole('button', { name: 'Reload from source' }).click();
    await page.locator('#policy-message').waitFor();
    await page.screenshot({ path: join(shots, 'console-policy.png') });
  });

  it('playground: the answer is exactly what `mcp-authz check --json` prints, and a --cases suite runs', async () => {
    const body = JSON.stringify(payment(12345, { memo: 'from the playground' }));
    await page.goto(`${base}/console/#/playground`);
    await page.fill('textarea[name=body]', body);
    await page.fill('textarea[name=headers]', 'x-request-id: abc-123');
    await page.fill('input[name=principal]', PAYMENT_AGENT);
    await page.click('#run-check');
    await page.locator('#result-json').waitFor({ state: 'attached' });
    const shown = JSON.parse((await page.locator('#result-json').textContent())!);

    const file = join(tmp, 'body.json');
    await writeFile(file, body);
    const cli = await cliJson([
      '--bundle',
      join(server.dir, 'bundle.tar.gz'),
      '--data',
      data,
      '--body',
      file,
      '--header',
      'x-request-id=abc-123',
      '--principal',
      PAYMENT_AGENT,
      '--json',
    ]);
    // input.now is the check time to the minute: the two runs may straddle a minute.
    delete shown.input.now;
    delete cli.input.now;
    expect(shown).toEqual(cli);
    expect(shown).toMatchObject({ decision: 'require_approval', rule: 'large-payment' });
    expect(await page.locator('#result-rule').textContent()).toBe('large-payment');

    await page.selectOption('select[name=suite]', 'action-firewall');
    await page.click('#run-cases');
    await page.locator('#cases-output', { hasText: 'passed' }).waitFor();
    expect(await page.locator('#cases-output').textContent()).toMatch(/\b\d+ passed, 0 failed/);
    await page.screenshot({ path: join(shots, 'console-playground.png'), fullPage: true });
  });
});

function toolCallWithUrl(url: string) {
  return { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'http_proxy', arguments: { url } } };
}
