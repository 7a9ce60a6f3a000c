// `mcp-authz serve --workers 2` as a user runs it: the workers share one SQLite approval store, the primary serves
// the approvals API and the console, and the console's live view gathers the decisions of every worker.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFirewallAlwaysOpen, PAYMENT_AGENT, payment } from '../helpers/approvals.js';
import { runCliAsync, type RunningServer, startCli } from '../helpers/cli.js';
import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { mcpCheckRequest } from '../helpers/requests.js';

let tmp: string;
let server: RunningServer;
let adminPort: number;
interface CheckClient {
  check(req: unknown): Promise<any>;
  close(): void;
}
let clients: CheckClient[] = [];

/** A client with its own connection (grpc-js otherwise shares one between clients of the same target). */
function ownConnection(address: string): CheckClient {
  const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition) as any;
  const c = new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  return {
    check: (req) => new Promise((resolve, reject) => c.Check(req, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)))),
    close: () => c.close(),
  };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-approvals-workers-'));
  const data = await actionFirewallAlwaysOpen(tmp);
  server = await startCli(['--workers', '2', '--data', data, '--approvals-db', join(tmp, 'approvals.db')]);
  adminPort = server.lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'mcp-authz started').admin_port;
  // Connections are handed to the workers in turn: two clients, two workers.
  clients = [ownConnection(`127.0.0.1:${server.grpcPort}`), ownConnection(`127.0.0.1:${server.grpcPort}`)];
}, 120_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function check(client: CheckClient, message: unknown) {
  const req = mcpCheckRequest(message) as any;
  req.attributes.source.principal = PAYMENT_AGENT;
  const res = await client.check(req);
  return { allowed: (res.status?.code ?? 0) === 0, body: res.denied_response?.body ? JSON.parse(res.denied_response.body) : undefined };
}
const admin = async (path: string) => (await fetch(`http://127.0.0.1:${adminPort}${path}`)).json() as Promise<any>;

describe('approvals and console with --workers 2', () => {
  it('approved through the primary (CLI), honoured by the workers exactly once; decisions from every worker', async () => {
    const asks = await Promise.all(clients.map((c) => check(c, payment(50000))));
    const id = asks[0]!.body.approval_id;
    expect(asks.map((a) => a.body.approval_id)).toEqual([id, id]);
    expect((await admin('/v1/approvals?status=pending')).approvals).toMatchObject([{ id, ask_count: 2 }]);

    const cli = await runCliAsync(['approvals', 'approve', id, '--by', 'alice', '--admin-addr', `127.0.0.1:${adminPort}`]);
    expect(cli.code, cli.stderr).toBe(0);
    const retries = await Promise.all([...clients, ...clients].map((c) => check(c, payment(50000))));
    expect(retries.filter((r) => r.allowed)).toHaveLength(1);

    await expect.poll(async () => (await admin('/v1/decisions')).decisions.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    const { decisions } = await admin('/v1/decisions');
    const workers = new Set(decisions.map((d: any) => d.worker));
    expect(workers.has(server.child.pid)).toBe(false);
    expect(workers.size).toBe(2);
    expect(decisions.some((d: any) => d.approved_by === 'alice' && d.decision === 'allow')).toBe(true);
  });

  it('metrics: one store counted once, not once per process', async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    const pending = (await admin('/v1/approvals?status=pending')).approvals.length;
    expect(Number(text.match(/^mcp_authz_approvals\{status="pending"\} (\d+)/m)?.[1])).toBe(pending);
    expect(Number(text.match(/^mcp_authz_approval_grants_used_total (\d+)/m)?.[1])).toBe(1);
    expect(Number(text.match(/^mcp_authz_approval_events_total\{event="approved"\} (\d+)/m)?.[1])).toBe(1);
  });

  it('the playground runs in the primary, as `mcp-authz check` would', async () => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/v1/playground/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: JSON.stringify(payment(20000)), headers: {}, principal: PAYMENT_AGENT }),
    });
    expect(await res.json()).toMatchObject({ decision: 'require_approval', rule: 'large-payment' });
  });
});
