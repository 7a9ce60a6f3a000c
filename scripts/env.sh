# Source this to put the project's tools on PATH: `. scripts/env.sh`
_mcp_authz_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case ":$PATH:" in
  *":$_mcp_authz_root/.tools/bin:"*) ;;
  *) export PATH="$PATH:$_mcp_authz_root/.tools/bin" ;;
esac
