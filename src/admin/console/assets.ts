import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../shared/package-root.js';
import { CONSOLE_CSS } from './styles.js';

/** The browser resolves these bare specifiers through the page's import map: ES modules, no bundler. */
const VENDOR: Record<string, string> = { 'preact.mjs': 'preact', 'hooks.mjs': 'preact/hooks', 'htm.mjs': 'htm', 'htm-preact.mjs': 'htm/preact' };
/** Each package's ES module build (its package.json `exports` import condition). */
const VENDOR_FILES: Record<string, string> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
  'htm-preact.mjs': 'htm/preact/index.mjs',
};

export const IMPORT_MAP = JSON.stringify({
  imports: Object.fromEntries(Object.entries(VENDOR).map(([file, specifier]) => [specifier, `/console/vendor/${file}`])),
});

/** Only scripts from this origin, plus the one inline import map (by hash); no eval, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mcp-authz console</title>
<link rel="stylesheet" href="/console/app/console.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/console/app/main.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

export interface Asset {
  body: string;
  contentType: string;
}

/**
 * The console's files, read once on first use: the compiled front end (dist/admin/console/web, built by tsc from
 * src/admin/console/web) and the vendored ES modules of preact, preact/hooks and htm from node_modules.
 */
export function createAssets(webDir = join(packageRoot(), 'dist', 'admin', 'console', 'web')) {
  const cache = new Map<string, Asset | null>();
  const load = (key: string, file: () => string, contentType: string): Asset | undefined => {
    if (!cache.has(key)) {
      try {
        cache.set(key, { body: readFileSync(file(), 'utf8'), contentType });
      } catch {
        cache.set(key, null);
      }
    }
    return cache.get(key) ?? undefined;
  };
  return {
    app(name: string): Asset | undefined {
      if (name === 'console.css') return { body: CONSOLE_CSS, contentType: 'text/css; charset=utf-8' };
      if (!/^[a-z0-9-]+\.js$/.test(name)) return undefined;
      return load(`app/${name}`, () => join(webDir, name), 'text/javascript; charset=utf-8');
    },
    vendor(name: string): Asset | undefined {
      const file = VENDOR_FILES[name];
      if (!file) return undefined;
      return load(`vendor/${name}`, () => join(packageRoot(), 'node_modules', file), 'text/javascript; charset=utf-8');
    },
  };
}
