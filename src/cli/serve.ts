import { existsSync } from 'node:fs';
import { startApp } from '../app.js';
import { loadConfig } from '../config/load.js';
import { CONFIG_FLAG, SETTINGS } from '../config/settings.js';
import { AuthzError } from '../errors.js';
import { type FlagSpec, parseFlags } from './args.js';

export const SERVE_FLAGS: FlagSpec[] = [
  { name: CONFIG_FLAG.flag, type: 'string' },
  ...SETTINGS.map((s) => ({ name: s.flag, type: 'string' as const, ...(s.kind === 'list' ? { multiple: true } : {}) })),
  { name: 'help', type: 'boolean' },
];

export function serveUsage(): string {
  const lines = ['Usage: mcp-authz serve [flags]', '', 'Flags (each also settable by environment variable or config file):'];
  for (const s of [CONFIG_FLAG, ...SETTINGS]) lines.push(`  --${s.flag.padEnd(16)} ${s.help} [${s.env}]`);
  return lines.join('\n');
}

/** `mcp-authz serve`: validate flags and config (all problems at once), load the policy, serve until a signal. */
export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseFlags(argv, SERVE_FLAGS);
  if (parsed.flags.help) {
    process.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  const problems = [...parsed.problems];
  if (parsed.positionals.length) problems.push(`unexpected argument(s): ${parsed.positionals.join(' ')}`);

  let config;
  try {
    config = loadConfig({ flags: parsed.flags as Record<string, string | string[]>, env });
  } catch (err) {
    if (err instanceof AuthzError) problems.push(...(err.details.length ? err.details : [err.message]));
    else throw err;
  }
  // Files are checked even when other settings are invalid, so every problem is reported in one go.
  const f = parsed.flags as Record<string, string | string[] | undefined>;
  const files: [string, string | undefined][] = config
    ? [['--bundle', config.policy.bundle], ['--policy', config.policy.dir], ...config.policy.data.map((d): [string, string] => ['--data', d])]
    : [['--bundle', f.bundle as string | undefined], ['--policy', f.policy as string | undefined], ...((f.data as string[] | undefined) ?? []).map((d): [string, string] => ['--data', d])];
  for (const [label, file] of files) {
    if (file && !existsSync(file)) problems.push(`${label} ${file}: no such file or directory`);
  }
  if (problems.length > 0 || !config) {
    process.stderr.write(`mcp-authz: cannot start:\n  - ${problems.join('\n  - ')}\n`);
    return 2;
  }

  let app;
  try {
    app = await startApp(config);
  } catch (err) {
    if (err instanceof AuthzError) {
      process.stderr.write(`mcp-authz: cannot start [${err.code}]: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      app.logger.info({ signal, in_flight: app.grpc.inFlight() }, 'shutting down');
      void app.close().then((drained) => {
        app.logger.info({ drained }, 'stopped');
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
