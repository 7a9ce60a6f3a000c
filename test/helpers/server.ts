import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createDecisionLogger } from '../../src/observability/decision-log.js';
import { type App, startApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/config/load.js';
import { loadPolicyFromBundleBytes } from '../../src/policy/load.js';
import { buildWasmBundle } from '../../src/policy/opa-cli.js';
import type { Policy } from '../../src/rego-wasm/opa-wasm.js';
import { checkClient, type CheckClient } from './grpc-client.js';
import { repoRoot } from './tools.js';

export interface TestServer {
  app: App;
  /** Decision log lines written so far (parsed JSON). */
  decisions: Record<string, any>[];
  client: CheckClient;
  address: string;
  dir: string;
  close(): Promise<void>;
}

/** Compile rego/ (or another dir) with the real opa CLI into a temp bundle file. */
export async function buildBundleFile(dir = join(repoRoot, 'rego'), entrypoint = 'mcp/authz/decision'): Promise<{ file: string; tmp: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-test-'));
  const file = join(tmp, 'bundle.tar.gz');
  await writeFile(file, await buildWasmBundle(dir, entrypoint));
  return { file, tmp };
}

/**
 * The default pack (opa build → WASM) loaded in process with denials as JSON-RPC errors and a payment tool whose
 * large amounts need approval: what the pipeline tests with the cache check hits against. Remove `tmp` after.
 */
export async function loadJsonRpcPack(): Promise<{ policy: Policy; tmp: string }> {
  const built = await buildBundleFile();
  const data = join(built.tmp, 'data.yaml');
  await writeFile(
    data,
    [
      'mcp_authz:',
      '  denial_format: jsonrpc',
      '  tool_policies:',
      '    - name: payment-limits',
      '      tools: [create_payment]',
      '      rules:',
      '        - {name: large-payment, approval_above: {argument: amount, value: 10000}, message: "payments above 10000 require approval"}',
    ].join('\n'),
  );
  const policy = await loadPolicyFromBundleBytes(
    await readFile(built.file),
    { dataFiles: [data], entrypoint: 'mcp/authz/decision', maxMemoryPages: 1024 },
    built.file,
  );
  return { policy, tmp: built.tmp };
}

/** A real server on 127.0.0.1:0 with the given flags (as the CLI would take them). */
export async function startTestServer(
  flags: Record<string, string | string[]> = {},
  configFile?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<TestServer> {
  let dir: string | undefined;
  if (!flags.bundle && !flags.policy && !flags['bundle-url']) {
    const built = await buildBundleFile();
    flags = { ...flags, bundle: built.file };
    dir = built.tmp;
  }
  dir ??= await mkdtemp(join(tmpdir(), 'mcp-authz-test-'));
  // No drain delay, and a generous evaluation deadline (production: 100 ms) so a busy machine never turns a check
  // into policy_timeout; the deadline's own tests set --eval-timeout-ms.
  // Each test server gets its own approval store unless the test shares one on purpose.
  const cfg = loadConfig({
    flags: {
      'grpc-addr': '127.0.0.1:0',
      'http-addr': '127.0.0.1:0',
      'admin-addr': '127.0.0.1:0',
      'shutdown-drain-delay': '0',
      'eval-timeout-ms': '10000',
      'approvals-db': join(dir, 'approvals.db'),
      ...flags,
      ...(configFile ? { config: configFile } : {}),
    },
    env: {},
  });
  const decisions: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) decisions.push(JSON.parse(line));
      cb();
    },
  });
  const dl = cfg.observability.decision_log;
  const decisionLog = createDecisionLogger({
    destination: sink,
    redactFields: dl.redact_fields,
    allowSampleRate: dl.allow_sample_rate,
    logInput: dl.log_input,
  });
  const app = await startApp(cfg, { logger: pino({ level: 'silent' }), decisionLog, env });
  const address = `127.0.0.1:${app.grpc.port}`;
  const client = checkClient(address);
  return {
    app,
    decisions,
    client,
    address,
    dir,
    async close() {
      client.close();
      await app.close();
      await rm(dir!, { recursive: true, force: true });
    },
  };
}
