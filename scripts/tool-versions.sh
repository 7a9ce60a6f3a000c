# Pinned versions of the Go tools mcp-authz uses. Sourced by install-tools.sh.
OPA_VERSION=v1.22.2
GRPCURL_VERSION=v1.9.3
GHZ_VERSION=v0.120.0
BUF_VERSION=v1.75.0
# Node.js LTS the project runs on (scripts/ensure-node.sh installs it from the npm registry when PATH has an older one).
NODE_VERSION=24.22.3
