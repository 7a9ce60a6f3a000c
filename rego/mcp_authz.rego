# mcp-authz guardrails pack: the decision.
#
# Entrypoint: mcp/authz/decision (stable). Configured entirely by data (data.mcp_authz, see README
# "Guardrails pack"); with no data it is the MCP-gateway demo policy. Rules in this package (and any package
# a user adds beside it) contribute `violations`; the decision takes the most restrictive:
# deny > require_approval > allow. Violations in audit mode never block: they mark the decision would_deny.
package mcp.authz

import rego.v1

default cfg := {}

cfg := data.mcp_authz

# The default mode for rules that do not set their own: enforce or audit.
default_mode := object.get(cfg, "mode", "enforce")

# ---------------------------------------------------------------------------------------------------------
# Violations: {rule, message, action ("deny" | "require_approval"), mode, status, priority}.
# priority orders denials when several match (lower first); equal priorities order by rule name.

# Guards: the request itself cannot be trusted. Always enforced.
violations contains v(
	"body_truncated", "the request body was truncated by the gateway and cannot be inspected",
	"deny", "enforce", 413, 0,
) if input.truncated_body

violations contains v("invalid_jsonrpc", input.mcp.error.message, "deny", "enforce", 400, 0) if {
	not input.truncated_body
	input.mcp.error
}

violations contains v(
	"unsupported_request", sprintf("%s requests without an MCP message are not allowed", [http_method]),
	"deny", "enforce", 405, 0,
) if {
	not input.mcp.error
	not input.truncated_body
	not mcp_message
	not http_method in {"GET", "DELETE"}
}

violations contains v(
	"arguments_not_inspected", "the tool arguments are too large or too deeply nested to inspect",
	"deny", "enforce", 413, 0,
) if {
	some call in tool_calls
	call.facts_truncated
}

v(rule, message, action, mode, status, priority) := {
	"rule": rule, "message": message, "action": action, "mode": mode, "status": status, "priority": priority,
}

http_method := upper(object.get(input, ["attributes", "request", "http", "method"], ""))

mcp_message if input.mcp.method
mcp_message if input.mcp.is_response
mcp_message if count(object.get(input.mcp, "batch", [])) > 0

# Every tools/call in the body: the message itself, or each tools/call of a batch. An array, not a set: set
# members are hashed whole, and a call carries all its arguments and facts.
default tool_calls := []

tool_calls := [input.mcp] if input.mcp.method == "tools/call"

tool_calls := [m | some m in input.mcp.batch; m.method == "tools/call"] if input.mcp.is_batch

# ---------------------------------------------------------------------------------------------------------
# The decision.

enforced := {x | some x in violations; x.mode == "enforce"}

audited := {x | some x in violations; x.mode == "audit"}

enforced_denials := {x | some x in enforced; x.action == "deny"}

enforced_approvals := {x | some x in enforced; x.action == "require_approval"}

first(set) := x if {
	key := sort([[y.priority, y.rule] | some y in set])[0]
	some x in set
	[x.priority, x.rule] == key
}

# Every matching rule, for audit records: "rule (mode, action)".
matched_rules := sort([sprintf("%s (%s, %s)", [x.rule, x.mode, x.action]) | some x in violations])

default decision := {"allowed": false, "decision": "deny", "rule": "default_deny", "message": "no decision rule matched", "http_status": 403}

decision := object.union(denial(first(enforced_denials), "deny"), metadata) if count(enforced_denials) > 0

decision := object.union(denial(first(enforced_approvals), "require_approval"), metadata) if {
	count(enforced_denials) == 0
	count(enforced_approvals) > 0
}

decision := object.union(allow_response, metadata) if {
	count(enforced_denials) == 0
	count(enforced_approvals) == 0
}

metadata := {"dynamic_metadata": audit_metadata} if count(audited) > 0

metadata := {"dynamic_metadata": {"mode": "enforce", "matched_rules": matched_rules}} if {
	count(audited) == 0
	count(violations) > 0
}

metadata := {} if count(violations) == 0

audit_metadata := {
	"mode": "audit",
	"would_deny": count({x | some x in audited; x.action == "deny"}) > 0,
	"would_require_approval": count({x | some x in audited; x.action == "require_approval"}) > 0,
	"rule": first(audited).rule,
	"message": first(audited).message,
	"matched_rules": matched_rules,
}

allow_response := {
	"allowed": true,
	"decision": "allow",
	"headers": injected_headers,
	"request_headers_to_remove": sort([h | some h in managed_headers; not injected_headers[h]]),
}
