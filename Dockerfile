# syntax=docker/dockerfile:1
# mcp-authz: three stages. Build with `docker build -t mcp-authz .`; smoke-test with scripts/docker-smoke.sh.

# 1. Policy: compile the guardrails pack to the embedded WebAssembly bundle with the official OPA image.
FROM openpolicyagent/opa:1.22.2-static AS policy
WORKDIR /src
COPY rego/ rego/
RUN ["/opa", "build", "-t", "wasm", "-e", "mcp/authz/decision", "--ignore", "*_test.rego", "--ignore", "examples", "-o", "/src/default-bundle.tar.gz", "rego/"]

# 2. Build: compile the TypeScript, then drop dev dependencies.
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
COPY proto/ proto/
RUN npx tsc -p tsconfig.json && chmod +x dist/main.js
COPY --from=policy /src/default-bundle.tar.gz dist/default-bundle.tar.gz
RUN npm prune --omit=dev

# 3. Runtime: slim Node 20, non-root, nothing written to the root filesystem (run with readOnlyRootFilesystem).
FROM node:20.19.5-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
RUN ln -s /app/dist/main.js /usr/local/bin/mcp-authz
USER 65532:65532
EXPOSE 9191 8181
ENTRYPOINT ["mcp-authz","serve"]
