import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './tools.js';

export const mainJs = join(repoRoot, 'dist', 'main.js');

/** `serve`'s three listeners on free loopback ports. */
export const LOOPBACK_ADDRESSES = ['--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'] as const;

function requireBuild(): void {
  if (!existsSync(mainJs)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does it first)');
}

/** Environment for child processes: no MCP_AUTHZ_* or OTEL_* leaking in from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MCP_AUTHZ_') && !k.startsWith('OTEL_')) env[k] = v;
  return { ...env, ...extra };
}

/** Run the CLI to completion (`stdin`: what it reads on standard input). */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string) {
  requireBuild();
  const r = spawnSync(process.execPath, [mainJs, ...args], {
    cwd: repoRoot,
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
    ...(stdin !== undefined ? { input: stdin } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningServer {
  child: ChildProcess;
  grpcPort: number;
  httpPort?: number;
  /** Every stdout line so far. */
  lines: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `mcp-authz serve` as a user would and wait for its startup line. */
export async function startCli(args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  requireBuild();
  const child = spawn(process.execPath, [mainJs, 'serve', ...LOOPBACK_ADDRESSES, ...args], {
    cwd: repoRoot,
    // No drain delay unless a test asks for one (production default: 5 s of NOT_SERVING before the port closes), and
    // a generous evaluation deadline (production: 100 ms) so a busy machine never turns a check into policy_timeout.
    env: cleanEnv({ MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY: '0', MCP_AUTHZ_EVAL_TIMEOUT_MS: '10000', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = await new Promise<Record<string, any>>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in time; stderr: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        try {
          const rec = JSON.parse(line);
          if (rec.msg === 'mcp-authz started') {
            clearTimeout(timer);
            resolve(rec);
          }
        } catch {
          // not JSON
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting; stderr: ${stderr}`));
    });
  });
  return {
    child,
    grpcPort: started.grpc_port,
    httpPort: started.http_port,
    lines,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run the CLI without blocking this process (needed when the CLI talks to a server in this process). */
export function runCliAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mainJs, ...args], { cwd: repoRoot, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
