# mcp-authz guardrails pack: the decision.
#
# Entrypoint: mcp/authz/decision (stable). Configured entirely by data (data.mcp_authz, see
# docs/guardrails-pack.md); with no data it is the MCP-gateway demo policy. Rules in this package (and any rule a user
# adds to package mcp.authz) contribute `violations`; the decision takes the most restrictive:
# deny > require_approval > allow. Violations in audit mode never block: they mark the decision would_deny.
#
# Files: mcp_authz.rego (this: guards, the decision), mcp_authz_response.rego (denial formats),
# mcp_authz_urls.rego (URL safety and allowlists), mcp_authz_tools.rego (tool names, access, roles),
# mcp_authz_arguments.rego (argument rules, claims, scopes, PII, business hours), mcp_authz_headers.rego
# (header injection, managed_headers).
package mcp.authz

import rego.v1

default cfg := {}

cfg := data.mcp_authz

# The default mode for rules that do not set their own: enforce or audit.
default_mode := object.get(cfg, "mode", "enforce")

# ---------------------------------------------------------------------------------------------------------
# Violations: {rule, message, action ("deny" | "require_approval"), mode ("enforce" | "audit"), status,
# priority, policy?}. priority orders denials when several match (lower first; ties by rule name):
# 0 request guards, 1-2 URL safety, 3 URL allowlists, 4 access and roles, 5 argument/claim/PII rules,
# 6 approvals, 7 business hours.
#
# Custom rules may add to `violations` with only {rule, message}: every violation is normalised below, and
# anything unexpected resolves to the stricter value (a missing or unknown mode enforces, an unknown action
# denies), so a sloppy custom rule can never turn into an allow.

v(rule, message, action, mode, status, priority) := {
	"rule": rule, "message": message, "action": action, "mode": mode, "status": status, "priority": priority,
}

# Guards: the request itself cannot be trusted. Always enforced, always answered as HTTP (no trusted id).
violations contains object.union(
	v("body_truncated", "the request body was truncated by the gateway and cannot be inspected", "deny", "enforce", 413, 0),
	{"http_only": true},
) if input.truncated_body

violations contains object.union(v("invalid_jsonrpc", input.mcp.error.message, "deny", "enforce", 400, 0), {"http_only": true}) if {
	not input.truncated_body
	input.mcp.error
	not input.mcp.error.jsonrpc_code
}

# MCP 2026-07-28 (SEP-2243): headers that disagree with the body are answered 400 with JSON-RPC error -32020.
violations contains object.union(
	v("header_mismatch", input.mcp.error.message, "deny", "enforce", 400, 0),
	{"http_only": true, "body": json.marshal({
		"jsonrpc": "2.0", "id": object.get(input.mcp, "id", null),
		"error": {"code": input.mcp.error.jsonrpc_code, "message": input.mcp.error.message},
	})},
) if {
	not input.truncated_body
	input.mcp.error.jsonrpc_code
}

violations contains object.union(
	v("unsupported_request", sprintf("%s requests without an MCP message are not allowed", [http_method]), "deny", "enforce", 405, 0),
	{"http_only": true},
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
	some m in messages
	m.facts_truncated
}

# A JSON or form document inside a string argument that could not be parsed: its members cannot be checked.
violations contains v(
	"document_not_understood", sprintf("argument %s of %s holds a %s document that cannot be read (%s)", [d.path, subject(m), d.format, d.error]),
	"deny", "enforce", 400, 0,
) if {
	object.get(object.get(cfg, "documents", {}), "deny_unparsed", true)
	some m in messages
	some d in object.get(m, "documents", [])
	d.error
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

# Every message of the body, whatever its method: the "never" rules (metadata service, blocked schemes,
# private and internal hosts) apply to every URI any message carries.
default messages := []

messages := [input.mcp] if {
	not input.mcp.is_batch
	mcp_message
}

messages := input.mcp.batch if input.mcp.is_batch

# What a message is called in messages: the tool of a tools/call, else the method.
subject(m) := sprintf("tool %s", [m.tool]) if m.method == "tools/call"

subject(m) := sprintf("%s", [m.method]) if {
	m.method != "tools/call"
	m.method
}

subject(m) := "the response" if m.is_response

# ---------------------------------------------------------------------------------------------------------
# Normalisation (fail closed).

matches := {normalize(x) | some x in violations}

normalize(x) := object.union(x, {
	"rule": rule_of(x),
	"message": message_of(x),
	"action": action_of(x),
	"mode": violation_mode(x),
	"status": status_of(x),
	"priority": priority_of(x),
}) if is_object(x)

normalize(x) := {
	"rule": "custom_rule", "message": message_of(x), "action": "deny", "mode": "enforce", "status": 403, "priority": 5,
} if not is_object(x)

rule_of(x) := x.rule if {
	is_string(x.rule)
	x.rule != ""
} else := "custom_rule"

message_of(x) := x if {
	is_string(x)
	x != ""
} else := x.message if {
	is_string(x.message)
	x.message != ""
} else := "request denied by policy"

action_of(x) := "require_approval" if x.action == "require_approval"

else := "deny"

violation_mode(x) := "audit" if x.mode == "audit"

else := "enforce"

status_of(x) := x.status if {
	is_number(x.status)
	x.status >= 400
	x.status <= 599
	x.status == floor(x.status)
} else := 403

priority_of(x) := x.priority if is_number(x.priority)

else := 5

# ---------------------------------------------------------------------------------------------------------
# The decision.

enforced_denials := {x | some x in matches; x.mode == "enforce"; x.action == "deny"}

enforced_approvals := {x | some x in matches; x.mode == "enforce"; x.action == "require_approval"}

audited_denials := {x | some x in matches; x.mode == "audit"; x.action == "deny"}

audited_approvals := {x | some x in matches; x.mode == "audit"; x.action == "require_approval"}

# The most specific of a set: lowest priority, then rule name, then message; the whole violation breaks any
# remaining tie (two policies may share a rule name and message), so there is always exactly one.
first(set) := sort([[y.priority, y.rule, y.message, y] | some y in set])[0][3]

# Every matching rule, for audit records: "rule (mode, action)".
matched_rules := sort({sprintf("%s (%s, %s)", [x.rule, x.mode, x.action]) | some x in matches})

default decision := {"allowed": false, "decision": "deny", "rule": "default_deny", "message": "no decision rule matched", "http_status": 403}

decision := object.union(denial(top, "deny"), {"dynamic_metadata": enforced_metadata(top, "deny")}) if {
	count(enforced_denials) > 0
	top := first(enforced_denials)
}

decision := object.union(denial(top, "require_approval"), {"dynamic_metadata": enforced_metadata(top, "require_approval")}) if {
	count(enforced_denials) == 0
	count(enforced_approvals) > 0
	top := first(enforced_approvals)
}

decision := object.union(allow_response, allow_metadata) if {
	count(enforced_denials) == 0
	count(enforced_approvals) == 0
}

# dynamic_metadata (reaches Envoy and the decision log). Enforced: mode "enforce", the deciding rule, all matches.
enforced_metadata(x, kind) := object.union(
	{"mode": "enforce", "decision": kind, "would_deny": false, "rule": x.rule, "message": x.message, "matched_rules": matched_rules},
	policy_field(x),
)

policy_field(x) := {"policy": x.policy} if is_string(object.get(x, "policy", null))

policy_field(x) := {} if not is_string(object.get(x, "policy", null))

# Allowed with audit-mode matches: mode "audit", would_deny / would_require_approval, the rule that would decide.
allow_metadata := {"dynamic_metadata": object.union(
	{
		"mode": "audit",
		"decision": "allow",
		"would_deny": count(audited_denials) > 0,
		"would_require_approval": count(audited_approvals) > 0,
		"rule": top.rule,
		"message": top.message,
		"matched_rules": matched_rules,
	},
	policy_field(top),
)} if {
	count(audited_denials) + count(audited_approvals) > 0
	top := audit_top
}

allow_metadata := {} if count(audited_denials) + count(audited_approvals) == 0

audit_top := first(audited_denials) if count(audited_denials) > 0

audit_top := first(audited_approvals) if count(audited_denials) == 0

allow_response := {
	"allowed": true,
	"decision": "allow",
	"headers": injected_headers,
	"request_headers_to_remove": sort([h | some h in managed_headers; not injected_headers[h]]),
}
