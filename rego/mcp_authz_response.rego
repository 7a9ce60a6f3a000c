# How denials and approvals are answered: HTTP JSON (default) or a JSON-RPC error echoing the request id.
package mcp.authz

import rego.v1

denial_format := object.get(cfg, "denial_format", "http")

# JSON-RPC error codes (implementation-defined server errors, -32000 to -32099).
jsonrpc_denied_code := object.get(cfg, "jsonrpc_error_code", -32001)

jsonrpc_approval_code := object.get(cfg, "jsonrpc_approval_code", -32002)

# HTTP: no `body`, so the server renders {"error":"policy_denied"|"approval_required","rule","message"(,"approval_id")}.
denial(x, kind) := object.union(object.union(base_denial(x, kind), challenge(x)), body_field(x)) if not jsonrpc_answer(x)

# A violation that brings its own JSON body (header_mismatch: the JSON-RPC error the MCP specification requires).
body_field(x) := {"body": x.body, "headers": {"content-type": "application/json"}} if has_body(x)

body_field(x) := {} if not has_body(x)

has_body(x) if is_string(x.body)

# JSON-RPC: HTTP 200 and a JSON-RPC error response, which is what MCP clients parse (Envoy returns the denied
# response as-is).
denial(x, kind) := object.union(
	base_denial(x, kind),
	{
		"http_status": 200,
		"headers": {"content-type": "application/json"},
		"body": json.marshal(jsonrpc_errors(x, kind)),
	},
) if jsonrpc_answer(x)

# Some answers stay HTTP whatever the format: request guards (the body could not be trusted, so there is no id
# to echo), authentication challenges (MCP clients start OAuth on a 401/403 with WWW-Authenticate), and messages
# without an id (notifications and responses get an HTTP error status, per the MCP transport).
jsonrpc_answer(x) if {
	denial_format == "jsonrpc"
	not x.http_only
	not x.oauth_error
	count(request_ids) > 0
}

default request_ids := []

request_ids := [input.mcp.id] if {
	not input.mcp.is_batch
	not input.mcp.is_response
	input.mcp.id != null
}

request_ids := [m.id | some m in input.mcp.batch; not m.is_response; m.id != null] if input.mcp.is_batch

base_denial(x, kind) := object.union({"allowed": false, "decision": kind, "rule": x.rule, "message": x.message}, status_field(x, kind))

status_field(x, "deny") := {"http_status": x.status}

# require_approval: the configured status, else none (the server's decision.approval_status, default 403).
status_field(_, "require_approval") := {"http_status": cfg.approval_http_status} if cfg.approval_http_status

status_field(_, "require_approval") := {} if not cfg.approval_http_status

# A missing or invalid token asks the client to authenticate (RFC 6750, as the MCP authorization spec expects);
# with resource_metadata configured the challenge names the protected resource metadata document (RFC 9728 §5.1),
# where MCP clients discover the authorization server and start their OAuth flow.
challenge(x) := {"headers": {"www-authenticate": sprintf(
	"Bearer error=\"%s\", error_description=\"%s\"%s%s",
	[x.oauth_error, quote_safe(x.message), scope_param(x), resource_metadata_param],
)}} if x.oauth_error

challenge(x) := {} if not x.oauth_error

scope_param(x) := sprintf(", scope=\"%s\"", [x.scope]) if x.scope

scope_param(x) := "" if not x.scope

resource_metadata_param := sprintf(", resource_metadata=\"%s\"", [cfg.resource_metadata]) if is_string(cfg.resource_metadata)

default resource_metadata_param := ""

# RFC 6750 quoted-string: no double quotes or backslashes inside.
quote_safe(s) := replace(replace(s, "\\", ""), "\"", "'")

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

# A single request gets one error object; a batch gets one per request with an id (the whole batch is refused).
jsonrpc_errors(x, kind) := jsonrpc_error(request_ids[0], x, kind) if not input.mcp.is_batch

jsonrpc_errors(x, kind) := [jsonrpc_error(id, x, kind) | some id in request_ids] if input.mcp.is_batch
