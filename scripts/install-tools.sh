#!/usr/bin/env bash
# Make the Go tools mcp-authz needs available, preferring what is already on PATH.
#   scripts/install-tools.sh            opa and grpcurl
#   scripts/install-tools.sh --bench    also ghz
#   scripts/install-tools.sh buf        just the named tools (buf compiles proto/mcp-authz.binpb)
# Tools are installed with `go install <module>@<pinned version>` into .tools/bin.
# Prints nothing when everything is present; exits non-zero with a clear message otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tool-versions.sh
. "$root/scripts/tool-versions.sh"
bin="$root/.tools/bin"
mkdir -p "$bin"

want=(opa grpcurl)
if [[ "${1:-}" == "--bench" ]]; then
  want+=(ghz)
elif [[ $# -gt 0 ]]; then
  want=("$@")
fi

module_for() {
  case "$1" in
    opa) echo "github.com/open-policy-agent/opa@${OPA_VERSION}" ;;
    grpcurl) echo "github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}" ;;
    ghz) echo "github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION}" ;;
    buf) echo "github.com/bufbuild/buf/cmd/buf@${BUF_VERSION}" ;;
  esac
}

for tool in "${want[@]}"; do
  if command -v "$tool" >/dev/null 2>&1 || [[ -x "$bin/$tool" ]]; then
    continue
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: '$tool' is not on PATH and Go is not installed to build it ($(module_for "$tool"))." >&2
    exit 1
  fi
  echo "install-tools: go install $(module_for "$tool")" >&2
  (cd "$root/.tools" && GOBIN="$bin" GOFLAGS=-mod=mod go install "$(module_for "$tool")")
done
