import { createRequire } from 'node:module';

/**
 * IANA's root zone, from the `tlds` package (the IANA list, updated with each release). Loaded on first use, so
 * importing this module does no I/O.
 */
let roots: ReadonlySet<string> | undefined;

function rootZone(): ReadonlySet<string> {
  if (!roots) {
    const list = createRequire(import.meta.url)('tlds') as string[];
    roots = new Set(list.map((t) => t.toLowerCase()));
  }
  return roots;
}

/**
 * True when a canonical host (lower case, punycode, no trailing dot) is a DNS name of at least two labels whose last
 * label is a delegated top-level domain. Anything else (`kubernetes.default`, `api.prod.svc`, `redis`, `a.local`)
 * can only resolve through a resolver's search domains or local zones: an internal name.
 */
export function isPublicTld(host: string): boolean {
  const dot = host.lastIndexOf('.');
  if (dot <= 0 || dot === host.length - 1) return false;
  return rootZone().has(host.slice(dot + 1));
}
