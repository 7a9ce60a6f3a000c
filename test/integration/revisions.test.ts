import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config/load.js';
import { checkClient, type CheckClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

const REGO = `package rev
import rego.v1
default decision := {"allowed": false, "rule": "not_listed"}
decision := {"allowed": true, "rule": "listed"} if input.mcp.tool in data.rev.tools
`;
const call = (tool: string) => mcpCheckRequest(toolCall(tool, {}));
const code = (r: any): number => r.status?.code ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('revisions identify policy and data; kept as bytes; the watch sees only policy files', () => {
  let tmp: string;
  let app: App;
  let client: CheckClient;
  const logs: Record<string, any>[] = [];
  const decisions: Record<string, any>[] = [];
  let dataFile: string;
  const setData = (tools: string[]) => writeFile(dataFile, `rev:\n  tools: [${tools.join(', ')}]\n`);
  const reloads = async (): Promise<number> => {
    const text = (await app.metrics.text()).body;
    return [...text.matchAll(/^mcp_authz_policy_reloads_total\{result="(?:success|failure)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-rev-'));
    await mkdir(join(tmp, 'policy'));
    await mkdir(join(tmp, 'w'));
    await writeFile(join(tmp, 'policy', 'rev.rego'), REGO);
    dataFile = join(tmp, 'w', 'data.yaml');
    await setData(['a']);
    const cfg = loadConfig({
      flags: {
        'grpc-addr': '127.0.0.1:0',
        'http-addr': '127.0.0.1:0',
        'admin-addr': '127.0.0.1:0',
        policy: join(tmp, 'policy'),
        data: [dataFile],
        entrypoint: 'rev/decision',
      },
      env: {},
    });
    cfg.policy.watch_debounce_ms = 50;
    cfg.shutdown.drain_delay_seconds = 0;
    const sink = (into: Record<string, any>[]) =>
      new Writable({
        write(chunk, _e, cb) {
          for (const line of chunk.toString().split('\n')) if (line.trim()) into.push(JSON.parse(line));
          cb();
        },
      });
    const { createDecisionLogger } = await import('../../src/observability/decision-log.js');
    app = await startApp(cfg, {
      logger: pino({ level: 'debug' }, sink(logs)),
      decisionLog: createDecisionLogger({ destination: sink(decisions), redactFields: [], allowSampleRate: 1, logInput: false }),
    });
    client = checkClient(`127.0.0.1:${app.grpc.port}`);
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await app?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('a data-only change is a new revision: listed once each, in metrics and decision logs, and rollback restores the old data', async () => {
    const first = app.policy()!;
    expect(first.revision).toMatch(/^sha256:[0-9a-f]{12}\+data:[0-9a-f]{8}$/);
    expect(code(await client.check(call('a')))).toBe(0);

    await setData(['b']);
    await until(() => app.policy()!.revision !== first.revision, 'the data change to load');
    const second = app.policy()!;
    expect(second.sha256).toBe(first.sha256); // same Rego, other data
    expect(second.revision).not.toBe(first.revision);
    expect(code(await client.check(call('a')))).toBe(7);

    const list = app.store.list();
    expect(list.map((r) => r.revision)).toEqual([second.revision, first.revision]);
    expect(list.map((r) => r.active)).toEqual([true, false]);
    expect((await app.metrics.text()).body).toContain(`mcp_authz_policy_info{revision="${second.revision}"`);
    expect(decisions.at(-1)!.policy).toBe(second.revision);

    const res = await fetch(`http://127.0.0.1:${app.admin.port}/v1/policies/rollback`, {
      method: 'POST',
      body: JSON.stringify({ revision: first.revision }),
    });
    expect(res.status).toBe(200);
    expect(app.policy()!.revision).toBe(first.revision);
    // Instantiated again from the kept bytes, not the old live instance.
    expect(app.policy()).not.toBe(first);
    expect(code(await client.check(call('a')))).toBe(0);
    expect(decisions.at(-1)!.policy).toBe(first.revision);
    expect(logs.find((l) => l.msg === 'policy rolled back')).toMatchObject({ revision: first.revision, previous: second.revision });
  });

  it('reloading identical content adds no history entry, and A/B reloads keep two entries', async () => {
    for (let i = 0; i < 6; i++) {
      await setData([i % 2 ? 'a' : 'b']);
      expect(await app.reloader.reload('test')).toBe(true);
      expect(await app.reloader.reload('test again')).toBe(true);
    }
    const revisions = app.store.list().map((r) => r.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions).toHaveLength(2);
  });

  it('files written next to the data (a log) never trigger a reload; a broken policy does not cause a storm', async () => {
    await setData(['a']);
    await app.reloader.reload('settle');
    // Let reloads from earlier writes (watch events can arrive late on a busy machine) finish: stable for 1 s.
    let before = await reloads();
    for (let stable = 0; stable < 5; ) {
      await sleep(200);
      const now = await reloads();
      stable = now === before ? stable + 1 : 0;
      before = now;
    }
    const log = join(tmp, 'w', 'authz.log');
    for (let i = 0; i < 20; i++) {
      await appendFile(log, `line ${i}\n`);
      await writeFile(join(tmp, 'policy', 'notes.txt'), `n ${i}`);
      await sleep(20);
    }
    await sleep(500);
    expect(await reloads()).toBe(before);

    // A broken policy: one failed reload, and the log lines written about it trigger nothing more.
    await writeFile(join(tmp, 'policy', 'broken.rego'), 'package rev\nthis is not rego\n');
    await until(async () => (await reloads()) > before, 'the broken policy to be tried');
    // One write is a create and a change event; on a busy machine they may arrive apart and be tried twice. What
    // matters: once the broken file has been tried, the log lines written about it trigger nothing more.
    let tried = await reloads();
    for (let stable = 0; stable < 5; ) {
      await sleep(200);
      const now = await reloads();
      stable = now === tried ? stable + 1 : 0;
      tried = now;
    }
    expect(tried - before).toBeLessThanOrEqual(2);
    for (let i = 0; i < 10; i++) {
      await appendFile(log, `policy reload failed ${i}\n`);
      await sleep(30);
    }
    await sleep(500);
    expect(await reloads()).toBe(tried);
    expect(code(await client.check(call('a')))).toBe(0);
    await rm(join(tmp, 'policy', 'broken.rego'));
    await until(async () => (await reloads()) > tried, 'the fixed policy to be tried');
  });
});
