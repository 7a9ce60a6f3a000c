#!/usr/bin/env node
// The CLI entry. Only the Node.js version check is imported statically: the commands (and what they import, such
// as node:sqlite) load after it, so an older Node.js gets one line naming the fix instead of a stack trace.
import { unsupportedNode } from './shared/node-version.js';

const unsupported = unsupportedNode(process.versions.node, process.execPath);
if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exit(2);
}
(await import('./cli/main.js')).run(process.argv.slice(2));
