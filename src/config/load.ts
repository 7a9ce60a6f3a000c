import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { keyPaths, keysAt, readConfigFile, unknownKeyHint } from './config-file.js';
import { type Config, configSchema } from './schema.js';
import { CONFIG_FLAG, SETTINGS, type Setting } from './settings.js';

export interface ConfigSources {
  /** Parsed flag values by flag name (strings; lists for repeatable flags). */
  flags: Record<string, string | string[] | undefined>;
  env: NodeJS.ProcessEnv;
  /** Extra defaults applied below the config file (e.g. the embedded default bundle). */
  defaults?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /**
   * Where a key's value came from, as the user wrote it: `--http-addr 127.0.0.1:8181`,
   * `MCP_AUTHZ_HTTP_ADDR=127.0.0.1:8181`, `config.yaml: http_addr`, or the key and value for a default.
   */
  origin(key: string): string;
}

/**
 * Build the configuration from defaults, the config file, MCP_AUTHZ_* variables and flags, then validate it once.
 * Every problem is reported together, each naming the flag, variable or file key it came from, in one
 * AuthzError('config_invalid').
 */
export function loadConfig(src: ConfigSources): Config {
  return loadConfigWithOrigins(src).config;
}

export function loadConfigWithOrigins(src: ConfigSources): LoadedConfig {
  const problems: string[] = [];
  /** Dotted key → where its value was set (file, variable or flag); later sources replace earlier ones. */
  const origins = new Map<string, string>();
  let raw: Record<string, unknown> = structuredClone(src.defaults ?? {});

  const fromFlag = src.flags[CONFIG_FLAG.flag] as string | undefined;
  const file = fromFlag ?? src.env[CONFIG_FLAG.env];
  let fileKeys = new Map<string, string>();
  if (file) {
    const read = readConfigFile(file, fromFlag !== undefined ? `--${CONFIG_FLAG.flag} ${file}` : `${CONFIG_FLAG.env}=${file}`);
    problems.push(...read.problems);
    fileKeys = read.at;
    if (read.value) {
      raw = deepMerge(raw, read.value);
      for (const key of leafKeys(read.value)) origins.set(key, `${read.at.get(key) ?? file}: ${key}`);
    }
  }

  for (const s of SETTINGS) {
    const envValue = src.env[s.env];
    if (envValue !== undefined && envValue !== '') {
      setPath(raw, s, coerce(s, envValue, `${s.env}`, problems));
      origins.set(s.path.join('.'), `${s.env}=${envValue}`);
    }
  }
  for (const s of SETTINGS) {
    const flagValue = src.flags[s.flag];
    if (flagValue !== undefined) {
      setPath(raw, s, coerce(s, flagValue, `--${s.flag}`, problems));
      const values = Array.isArray(flagValue) ? flagValue : [flagValue];
      origins.set(s.path.join('.'), values.map((v) => `--${s.flag} ${v}`).join(' '));
    }
  }
  /** The origin of the longest key that is a prefix of `path`; the path itself when none was set. */
  const describe = (path: (string | number | symbol)[]): string => {
    const key = path.map(String).join('.');
    for (let n = path.length; n > 0; n--) {
      const set = origins.get(path.slice(0, n).map(String).join('.'));
      if (set === undefined) continue;
      return set.endsWith(`: ${key}`) ? set : `${set} (${key})`;
    }
    return key || '(root)';
  };

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // Only a file can spell a key (flags and variables map to known ones): say where, and what was meant.
        const prefix = issue.path.map(String).join('.');
        const known = keysAt(configSchema, issue.path);
        for (const key of issue.keys) {
          const dotted = prefix ? `${prefix}.${key}` : key;
          const where = fileKeys.get(dotted) ?? file ?? describe(issue.path);
          problems.push(`${where}: ${dotted}: unknown key${unknownKeyHint(key, known, prefix ? `${prefix}.` : '', keyPaths(configSchema))}`);
        }
      } else problems.push(`${describe(issue.path)}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) {
    if (file) sortByPosition(problems, file);
    throw new AuthzError(STARTUP_ERROR.config_invalid, 'invalid configuration', problems);
  }
  const config = result.data;
  return {
    config,
    origin: (key) => {
      const set = origins.get(key);
      if (set === undefined) return `${key} ${JSON.stringify(at(config, key)) ?? ''}`.trim().replace(/"/g, '');
      return set.includes('=') || set.startsWith('--') ? set : `${set} (${String(at(config, key))})`;
    },
  };
}

/** The problems at `file:line:col` in the order of the file (stable; the others keep their place before them). */
function sortByPosition(problems: string[], file: string): void {
  const pos = (p: string): number => {
    const m = p.startsWith(`${file}:`) ? /^(\d+):(\d+): /.exec(p.slice(file.length + 1)) : null;
    return m ? Number(m[1]) * 1e6 + Number(m[2]) : -1;
  };
  const sorted = problems.map((p, i) => ({ p, i, at: pos(p) })).sort((a, b) => a.at - b.at || a.i - b.i);
  problems.splice(0, problems.length, ...sorted.map((x) => x.p));
}

function leafKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

/** The value at a dotted key of a (config) object. */
export function at(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function coerce(s: Setting, value: string | string[], origin: string, problems: string[]): unknown {
  if (s.kind === 'list') {
    const values = Array.isArray(value) ? value : value.split(',');
    return values.map((v) => v.trim()).filter(Boolean);
  }
  const single = Array.isArray(value) ? value[value.length - 1]! : value;
  if (s.kind === 'number') {
    const n = Number(single);
    if (single.trim() === '' || !Number.isFinite(n)) {
      problems.push(`${origin}: ${JSON.stringify(single)} is not a number`);
      return undefined;
    }
    return n;
  }
  return single;
}

function setPath(target: Record<string, unknown>, s: Setting, value: unknown): void {
  if (value === undefined) return;
  let node = target;
  for (const key of s.path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[s.path[s.path.length - 1]!] = value;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof prev === 'object' && prev !== null && !Array.isArray(prev) && typeof v === 'object' && v !== null && !Array.isArray(v)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
