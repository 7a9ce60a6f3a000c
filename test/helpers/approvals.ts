import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import { approvalsCommand } from '../../src/cli/approvals.js';
import { httpStatus } from './grpc-client.js';
import { mcpCheckRequest, toolCall } from './requests.js';
import type { TestServer } from './server.js';
import { repoRoot } from './tools.js';

export const PAYMENT_AGENT = 'spiffe://cluster.local/ns/agents/sa/payment-agent';

/** The action-firewall example's data without business hours, so approvals are exercised at any time of the week. */
export async function actionFirewallAlwaysOpen(dir: string, edit: (doc: any) => void = () => undefined): Promise<string> {
  const doc = parse(await readFile(join(repoRoot, 'rego/examples/action-firewall/data.yaml'), 'utf8'));
  delete doc.mcp_authz.business_hours;
  edit(doc);
  const file = join(dir, `action-firewall-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

export const payment = (amount: unknown, extra: Record<string, unknown> = {}, id: number | string = 1) =>
  toolCall('http_proxy', { url: 'https://api.stripe.com/v1/charges', body: { amount, currency: 'usd', ...extra } }, id);

/** One Check over gRPC, decoded the way a test reads it. */
export async function check(server: TestServer, message: unknown, opts: { principal?: string; headers?: Record<string, string> } = {}) {
  const req = mcpCheckRequest(message, { headers: opts.headers ?? {} }) as any;
  req.attributes.source.principal = opts.principal ?? PAYMENT_AGENT;
  const res = await server.client.check(req);
  const denied = res.denied_response;
  const headers = Object.fromEntries(((res.ok_response ?? denied)?.headers ?? []).map((h: any) => [h.header.key, h.header.value]));
  return {
    allowed: (res.status?.code ?? 0) === 0,
    status: denied ? httpStatus(denied.status) : 200,
    body: denied?.body ? JSON.parse(denied.body) : undefined,
    headers,
    removed: (res.ok_response?.headers_to_remove ?? []) as string[],
  };
}

export const adminUrl = (server: TestServer, path: string) => `http://127.0.0.1:${server.app.admin.port}${path}`;

export async function admin(server: TestServer, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(
    adminUrl(server, path),
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  return { status: res.status, body: await res.json() };
}

/** `mcp-authz approvals …` in process, against a server's admin address. */
export async function approvalsCli(server: TestServer, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const code = await approvalsCommand(
    [...args, '--admin-addr', `127.0.0.1:${server.app.admin.port}`],
    env,
    sink as unknown as typeof process.stdout,
    sink as unknown as typeof process.stderr,
  );
  return { code, out };
}
