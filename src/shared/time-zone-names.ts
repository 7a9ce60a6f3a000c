import { createRequire } from 'node:module';

/**
 * Every time zone name Go's time.LoadLocation finds in the IANA database, zones and links, exactly as spelled
 * (Go's lookup is case-sensitive: "est" is no zone, "EST" is). The tzdata package lists the same names as the
 * zoneinfo.zip that Go embeds (time/tzdata, which OPA imports). Read on first use.
 */
let names: ReadonlySet<string> | undefined;
export function timeZoneNames(): ReadonlySet<string> {
  names ??= new Set(Object.keys((createRequire(import.meta.url)('tzdata') as { zones: Record<string, unknown> }).zones));
  return names;
}
