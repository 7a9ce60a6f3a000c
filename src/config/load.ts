import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AuthzError } from '../errors.js';
import { type Config, configSchema } from './schema.js';
import { CONFIG_FLAG, SETTINGS, type Setting } from './settings.js';

export interface ConfigSources {
  /** Parsed flag values by flag name (strings; lists for repeatable flags). */
  flags: Record<string, string | string[] | undefined>;
  env: NodeJS.ProcessEnv;
  /** Extra defaults applied below the config file (e.g. the embedded default bundle). */
  defaults?: Record<string, unknown>;
}

/**
 * Build the configuration from defaults, the config file, MCP_AUTHZ_* variables and flags, then validate it once.
 * Every problem is reported together, each with its path, in one AuthzError('config_invalid').
 */
export function loadConfig(src: ConfigSources): Config {
  const problems: string[] = [];
  let raw: Record<string, unknown> = structuredClone(src.defaults ?? {});

  const file = (src.flags[CONFIG_FLAG.flag] as string | undefined) ?? src.env[CONFIG_FLAG.env];
  if (file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'), { uniqueKeys: true });
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== 'object' || Array.isArray(parsed)) problems.push(`${file}: the configuration must be a mapping`);
        else raw = deepMerge(raw, parsed as Record<string, unknown>);
      }
    } catch (err) {
      problems.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
    }
  }

  for (const s of SETTINGS) {
    const envValue = src.env[s.env];
    if (envValue !== undefined && envValue !== '') setPath(raw, s, coerce(s, envValue, `${s.env}`, problems));
  }
  for (const s of SETTINGS) {
    const flagValue = src.flags[s.flag];
    if (flagValue !== undefined) setPath(raw, s, coerce(s, flagValue, `--${s.flag}`, problems));
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.length ? issue.path.join('.') : '(root)';
      problems.push(`${path}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new AuthzError('config_invalid', 'invalid configuration', problems);
  }
  return result.data;
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
