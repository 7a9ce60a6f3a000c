import { at } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { CONFIG_FLAG, type Setting, SETTINGS } from '../config/settings.js';
import type { FlagSpec } from './args.js';

let defaults: unknown;

/** A configuration setting as a command-line flag, with its default (from the schema) and variable for --help. */
export function settingFlag(s: Setting): FlagSpec {
  defaults ??= configSchema.parse({});
  const d = s.path.length ? at(defaults, s.path.join('.')) : undefined;
  const shown = Array.isArray(d) ? (d.length ? d.join(',') : undefined) : d === undefined ? undefined : String(d);
  return {
    name: s.flag,
    type: 'string',
    value: s.value ?? 'VALUE',
    help: s.help,
    env: s.env,
    ...(s.kind === 'list' ? { multiple: true } : {}),
    ...(shown !== undefined ? { default: shown } : {}),
  };
}

/** The flags of settings with these config keys (e.g. `policy.bundle`), plus --config, in the settings' order. */
export function settingFlags(keys?: readonly string[]): FlagSpec[] {
  const chosen = keys ? SETTINGS.filter((s) => keys.includes(s.path.join('.'))) : SETTINGS;
  return [settingFlag(CONFIG_FLAG), ...chosen.map(settingFlag)];
}

export const HELP_FLAG: FlagSpec = { name: 'help', type: 'boolean', help: 'show this help' };
