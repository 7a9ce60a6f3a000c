# Pinned versions of the Go tools mcp-authz uses. Sourced by install-tools.sh.
OPA_VERSION=v1.22.2
GRPCURL_VERSION=v1.9.3
GHZ_VERSION=v0.120.0
BUF_VERSION=v1.75.0
