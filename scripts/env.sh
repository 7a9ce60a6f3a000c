# Source this to put the project's tools on PATH: `. scripts/env.sh` (bash)
#   bin/               mcp-authz (bin/mcp-authz: builds what changed, then runs dist/main.js), first on PATH;
#   .tools/node/…/bin  Node.js 24 when the machine's Node is older (scripts/ensure-node.sh), first on PATH;
#   .tools/bin         opa, grpcurl, ghz (scripts/install-tools.sh), after what PATH already has.
_mcp_authz_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for _mcp_authz_node in "$_mcp_authz_root"/.tools/node/node_modules/node-linux-*/bin; do
  if [[ -x "$_mcp_authz_node/node" ]]; then
    case ":$PATH:" in
      *":$_mcp_authz_node:"*) ;;
      *) export PATH="$_mcp_authz_node:$PATH" ;;
    esac
  fi
done
unset _mcp_authz_node
case ":$PATH:" in
  *":$_mcp_authz_root/bin:"*) ;;
  *) export PATH="$_mcp_authz_root/bin:$PATH" ;;
esac
case ":$PATH:" in
  *":$_mcp_authz_root/.tools/bin:"*) ;;
  *) export PATH="$PATH:$_mcp_authz_root/.tools/bin" ;;
esac
