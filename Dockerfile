# syntax=docker/dockerfile:1
# mcp-authz image, in three stages:
#   policy   the official OPA image compiles rego/ to the embedded WebAssembly bundle (as scripts/build.sh does);
#   build    Node 24 compiles the TypeScript, adds the bundle, then drops the dev dependencies;
#   runtime  Node 24 slim, uid 65532, read-only root filesystem; the one thing it writes is the approvals' SQLite
#            file, by default in a private directory under /tmp (so: --read-only --tmpfs /tmp), or in a volume on
#            /var/lib/mcp-authz (--approvals-db /var/lib/mcp-authz/approvals.db), see docs/docker.md.
# Build: docker build -t mcp-authz .   Smoke test: scripts/docker-smoke.sh (fails where no Docker engine runs).
# No registry reachable: scripts/docker-base-standins.sh builds labelled stand-ins for the two base images (docs/docker.md).
# test/deploy/dockerfile.test.ts checks this file; test/deploy/image-build.test.ts replays its stages without Docker.

# 1. Policy. The OPA image runs as uid 1000 and has no shell (hence the exec-form RUN). Builders differ on who
#    owns a WORKDIR they create (BuildKit: the USER; the classic builder, buildah and kaniko: root), so compile
#    as root here: this stage only hands one file to the next.
FROM openpolicyagent/opa:1.22.2-static AS policy
USER 0:0
WORKDIR /src
COPY rego/ rego/
RUN ["/opa", "build", "-t", "wasm", "-e", "mcp/authz/decision", "--ignore", "*_test.rego", "--ignore", "examples", "-o", "/src/default-bundle.tar.gz", "rego/"]

# 2. Build. `npm run build` would also fetch and run opa; here the policy stage did that, so only tsc runs.
#    --ignore-scripts: no dependency needs an install script (protobufjs' postinstall only prints warnings).
FROM node:24.22.3-bookworm-slim AS build
# Behind a TLS-intercepting proxy, npm ci needs the proxy's CA: --build-arg NPM_CONFIG_CA="$(cat ca.pem)" (PEM text;
# npm then trusts those CAs instead of its own list). Only this stage sees it: the image keeps neither it nor npm.
ARG NPM_CONFIG_CA
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
COPY proto/ proto/
RUN npx tsc -p tsconfig.json && chmod 0755 dist/main.js
COPY --from=policy /src/default-bundle.tar.gz dist/default-bundle.tar.gz
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# 3. Runtime. Debian slim rather than distroless: dist/main.js starts with `#!/usr/bin/env node`, and the
#    Deployment's preStop hook runs `sleep`. npm, npx, corepack and yarn are removed: nothing installs at run
#    time. uid 65532 gets a passwd entry (no home, no shell). Node runs as PID 1 and handles SIGTERM itself
#    (drain, then exit 0); it starts no child processes, so no init is needed. /var/lib/mcp-authz is made here,
#    empty and owned by 65532, so that a named volume mounted there (which copies the directory's owner and mode
#    when it is first used) is writable for the approvals' SQLite file.
FROM node:24.22.3-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="mcp-authz" \
      org.opencontainers.image.description="Envoy ext_authz gRPC server for MCP tool calls, Rego compiled to WebAssembly" \
      org.opencontainers.image.licenses="Apache-2.0"
# V8's young generation at 4 MB for the single-process `--workers 1` as for the workers (docs/workers.md#memory);
# another NODE_OPTIONS given at run time replaces it.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot \
 && install -d -o 65532 -g 65532 -m 0700 /var/lib/mcp-authz \
 && ln -s /app/dist/main.js /usr/local/bin/mcp-authz
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
USER 65532:65532
EXPOSE 9191 8181
ENTRYPOINT ["mcp-authz", "serve"]
