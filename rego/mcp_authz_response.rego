# How denials and approvals are answered: HTTP JSON (default) or a JSON-RPC error echoing the request id.
package mcp.authz

import rego.v1

denial_format := object.get(cfg, "denial_format", "http")

approval_status := object.get(cfg, "approval_http_status", 403)

# JSON-RPC error codes (implementation-defined server errors, -32000 to -32099).
jsonrpc_denied_code := object.get(cfg, "jsonrpc_error_code", -32001)

jsonrpc_approval_code := object.get(cfg, "jsonrpc_approval_code", -32002)

denial(x, kind) := object.union(base_denial(x, kind), challenge(x)) if denial_format == "http"

denial(x, kind) := object.union(
	base_denial(x, kind),
	{
		"http_status": 200,
		"headers": {"content-type": "application/json"},
		"body": json.marshal(jsonrpc_errors(x, kind)),
	},
) if denial_format == "jsonrpc"

base_denial(x, kind) := {
	"allowed": false,
	"decision": kind,
	"rule": x.rule,
	"message": x.message,
	"http_status": status(x, kind),
}

status(x, "deny") := x.status

status(_, "require_approval") := approval_status

# A missing or invalid token asks the client to authenticate (RFC 6750, as the MCP authorization spec expects).
challenge(x) := {"headers": {"www-authenticate": sprintf("Bearer error=\"%s\", error_description=\"%s\"%s", [x.oauth_error, quote_safe(x.message), scope_param(x)])}} if x.oauth_error

scope_param(x) := sprintf(", scope=\"%s\"", [x.scope]) if x.scope

scope_param(x) := "" if not x.scope

# RFC 6750 quoted-string: no double quotes or backslashes inside.
quote_safe(s) := replace(replace(s, "\\", ""), "\"", "'")

challenge(x) := {} if not x.oauth_error

jsonrpc_error(id, x, kind) := {
	"jsonrpc": "2.0",
	"id": id,
	"error": {
		"code": code(kind),
		"message": x.message,
		"data": {"rule": x.rule, "decision": kind},
	},
}

code("deny") := jsonrpc_denied_code

code("require_approval") := jsonrpc_approval_code

# A single request gets one error object; a batch gets one per request that has an id.
jsonrpc_errors(x, kind) := jsonrpc_error(object.get(input.mcp, "id", null), x, kind) if not input.mcp.is_batch

jsonrpc_errors(x, kind) := [jsonrpc_error(m.id, x, kind) | some m in input.mcp.batch; m.id != null] if input.mcp.is_batch
