#!/usr/bin/env bash
# npm's `prepare` step (after npm install / npm ci): link bin/mcp-authz into node_modules/.bin, so that
# `npx mcp-authz …` works in this checkout (npm does not link a project's own bin into its node_modules).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/node_modules/.bin"
ln -sfn ../../bin/mcp-authz "$root/node_modules/.bin/mcp-authz"
