import { existsSync } from 'node:fs';
import { type Server, startServer } from '../server/app.js';
import { at, type LoadedConfig, loadConfigWithOrigins } from '../config/load.js';
import { servingRole } from '../server/roles.js';
import { workerCount } from '../server/worker-count.js';
import { SETTINGS } from '../config/settings.js';
import { AuthzError } from '../shared/errors.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { HELP_FLAG, settingFlags } from './setting-flags.js';

export const SERVE_FLAGS: FlagSpec[] = [...settingFlags(), HELP_FLAG];

export function serveUsage(): string {
  return `Usage: mcp-authz serve [flags]

Serve Envoy ext_authz (gRPC), health, reflection, /metrics and the policy admin API. Without --bundle, --policy
or --bundle-url it serves the embedded default policy (the guardrails pack). Each flag also has an environment
variable and a config-file key (precedence: flag > environment > config file > default; docs/configuration.md).

Flags:
${flagHelp(SERVE_FLAGS)}`;
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

  let loaded: LoadedConfig | undefined;
  try {
    loaded = loadConfigWithOrigins({ flags: parsed.flags as Record<string, string | string[]>, env });
  } catch (err) {
    if (err instanceof AuthzError) problems.push(...(err.details.length ? err.details : [err.message]));
    else throw err;
  }
  // Files are checked even when other settings are invalid, so every problem is reported in one go.
  const f = parsed.flags as Record<string, string | string[] | undefined>;
  const config = loaded?.config;
  // Each missing file is named as the user gave it: `--data x.yaml`, `MCP_AUTHZ_BUNDLE=/b.tar.gz`, `config.yaml: policy.dir`.
  const fileSettings = SETTINGS.filter((s) => ['policy.bundle', 'policy.dir', 'policy.data'].includes(s.path.join('.')));
  for (const s of fileSettings) {
    const key = s.path.join('.');
    const fromFlag = f[s.flag] as string | string[] | undefined;
    const fromEnv = env[s.env] || undefined;
    const value = config ? (at(config, key) as string | string[] | undefined) : (fromFlag ?? (s.kind === 'list' ? fromEnv?.split(',') : fromEnv));
    for (const file of [value ?? []].flat()) {
      if (existsSync(file)) continue;
      const origin = fromFlag !== undefined ? `--${s.flag} ${file}` : fromEnv !== undefined ? `${s.env}=${fromEnv}` : (loaded?.origin(key) ?? key);
      problems.push(`${origin.includes(file) ? origin : `${origin}: ${file}`}: no such file or directory`);
    }
  }
  if (problems.length > 0 || !config) {
    process.stderr.write(`mcp-authz: cannot start:\n  - ${problems.join('\n  - ')}\n`);
    return 2;
  }

  const workers = workerCount(config);
  const origin = loaded!.origin;
  // Signals are handled from here on: one that arrives while the server starts (or right after its startup line)
  // stops it once started, with the usual drain, instead of killing it by the default action.
  let signalled: ((signal: string) => void) | undefined;
  let early: string | undefined;
  const onSignal = (signal: string) => () => (signalled ? signalled(signal) : (early ??= signal));
  process.once('SIGTERM', onSignal('SIGTERM'));
  process.once('SIGINT', onSignal('SIGINT'));
  // One process, or a cluster primary with its workers: one composition root in either role, served the same way.
  let server: Server;
  try {
    server = await startServer(servingRole(workers), config, { workers, origin });
  } catch (err) {
    if (err instanceof AuthzError) {
      process.stderr.write(`mcp-authz: cannot start [${err.code}]: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    signalled = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal, ...server.shutdownFields() }, 'shutting down');
      void server.close().then((drained) => {
        server.logger.info({ drained }, 'stopped');
        resolve(0);
      });
    };
    if (early) signalled(early);
  });
}
