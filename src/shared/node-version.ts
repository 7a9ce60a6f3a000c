/**
 * The Node.js versions mcp-authz runs on, checked by src/main.ts before any module that needs them is loaded
 * (node:sqlite, for one, is missing before Node 22.5). Keep it equal to package.json's `engines.node`
 * (test/unit/shared/node-version.test.ts checks it). This module imports nothing.
 */
export const MIN_NODE = { major: 24, minor: 11 } as const;

/** null when `version` (process.versions.node, `24.11.0`) is supported; otherwise the one line to print. */
export function unsupportedNode(version: string, execPath: string): string | null {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) return null;
  return (
    `mcp-authz: needs Node.js >= ${MIN_NODE.major}.${MIN_NODE.minor}, but this is Node.js ${version} (${execPath}). ` +
    'In a source checkout run `. scripts/env.sh` first (it puts the Node.js 24 that `npm start` installs on PATH) ' +
    `or use \`bin/mcp-authz\`; otherwise install Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or later.`
  );
}
