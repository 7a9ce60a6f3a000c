package mcp.authz_pack_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

# 2025-11-22T10:00:00Z: a Saturday (11:00 in Europe/Paris), and Monday 2025-11-24T15:00:00Z (10:00 in New York).
saturday := 1763805600000000000

monday := 1763996400000000000

identity(agent, claims, roles) := {"verified": true, "agent": agent, "roles": roles, "user": {"sub": "u1", "claims": claims}}

tcall(tool, args, ident) := {
	"attributes": post,
	"truncated_body": false,
	"now": {"unix_ns": monday},
	"identity": ident,
	"mcp": {"method": "tools/call", "id": 42, "tool": tool, "arguments": args, "is_batch": false, "urls": [], "findings": []},
}

support := identity("support-agent", {"team": "billing", "customer_id": "c-9"}, [])

customer_service := {
	"servers": ["customer-tools"],
	"agents": {"support-agent": {"mode": "allowlist", "registries": {"customer-tools": ["lookup_order", "check_status", "process_refund"]}}},
	"claim_headers": [{"claim": "team", "header": "X-Authz-Claim-Team"}, {"claim": "customer_id", "header": "X-Authz-Claim-Customer-Id"}],
	"tool_policies": [{
		"name": "refund-guardrails",
		"registry": "customer-tools",
		"tools": ["process_refund"],
		"mode": "enforce",
		"required_claims": [
			{"claim": "team", "message": "Team claim is required for refund operations"},
			{"claim": "customer_id", "message": "Customer ID is required for refund operations"},
		],
		"rules": [
			{"name": "max-refund-amount", "max": {"argument": "amount", "value": 500}, "message": "Refund amount exceeds the $500 limit"},
			{"name": "require-reason", "required": "reason", "message": "A reason is required for refund requests"},
		],
		"headers": [{"header": "X-Processed-By", "claim": "team"}],
	}],
}

test_prefixed_tool_names_map_to_server_and_tool if {
	authz.tool_name({"tool": "customer-tools__process_refund"}) == {"server": "customer-tools", "tool": "process_refund"} with data.mcp_authz as customer_service
	authz.tool_name({"tool": "customer-tools_lookup_order"}) == {"server": "customer-tools", "tool": "lookup_order"} with data.mcp_authz as customer_service
	authz.tool_name({"tool": "lookup_order"}) == {"server": "", "tool": "lookup_order"} with data.mcp_authz as customer_service
}

test_allowlisted_tool_allowed_with_claim_headers if {
	d := authz.decision with input as tcall("customer-tools__lookup_order", {"order_id": "o1"}, support) with data.mcp_authz as customer_service
	d.allowed == true
	d.headers["x-authz-claim-team"] == "billing"
	d.headers["x-authz-claim-customer-id"] == "c-9"
	not d.headers["x-processed-by"]
	"x-processed-by" in d.request_headers_to_remove
}

test_delete_account_blocked if {
	d := authz.decision with input as tcall("customer-tools__delete_account", {"customer_id": "c-9"}, support) with data.mcp_authz as customer_service
	d.allowed == false
	d.rule == "tool_not_allowed"
	d.message == "agent support-agent may not call tool customer-tools__delete_account"
}

test_denylist if {
	cfg := {"agents": {"bot": {"mode": "denylist", "tools": ["rm_rf"]}}}
	d := authz.decision with input as tcall("rm_rf", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d.rule == "tool_denied"
	d2 := authz.decision with input as tcall("ls", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d2.allowed == true
}

test_unknown_agent_denied_when_configured if {
	cfg := object.union(customer_service, {"unknown_agents": "deny"})
	d := authz.decision with input as tcall("customer-tools__lookup_order", {}, identity("stranger", {}, [])) with data.mcp_authz as cfg
	d.rule == "agent_unknown"
	d2 := authz.decision with input as tcall("customer-tools__lookup_order", {}, identity("stranger", {}, [])) with data.mcp_authz as customer_service
	d2.allowed == true
}

test_refund_within_limits_allowed_and_headers_injected if {
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 120, "reason": "damaged"}, support) with data.mcp_authz as customer_service
	d.allowed == true
	d.headers["x-processed-by"] == "billing"
}

test_refund_over_cap_denied if {
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 750, "reason": "x"}, support) with data.mcp_authz as customer_service
	d.rule == "max-refund-amount"
	d.message == "Refund amount exceeds the $500 limit"
	d.http_status == 403
}

test_refund_amount_as_string_denied if {
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": "750", "reason": "x"}, support) with data.mcp_authz as customer_service
	d.rule == "max-refund-amount"
}

test_refund_without_reason_denied if {
	some reason in [null, "", "   ", []]
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 10, "reason": reason}, support) with data.mcp_authz as customer_service
	d.rule == "require-reason"
	d.message == "A reason is required for refund requests"
}

test_refund_missing_claims_denied_with_challenge if {
	anon := {"verified": false, "agent": "support-agent", "roles": [], "error": {"code": "token_missing"}}
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 10, "reason": "x"}, anon) with data.mcp_authz as customer_service
	d.rule == "required_claim:customer_id"
	d.http_status == 401
	startswith(d.headers["www-authenticate"], "Bearer error=\"invalid_token\"")
	no_team := identity("support-agent", {"customer_id": "c"}, [])
	d2 := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 10, "reason": "x"}, no_team) with data.mcp_authz as customer_service
	d2.rule == "required_claim:team"
	d2.message == "Team claim is required for refund operations"
	d2.http_status == 403
}

test_audit_mode_allows_and_marks_would_deny if {
	audit := json.patch(customer_service, [{"op": "replace", "path": "/tool_policies/0/mode", "value": "audit"}])
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 750, "reason": "x"}, support) with data.mcp_authz as audit
	d.allowed == true
	d.dynamic_metadata.mode == "audit"
	d.dynamic_metadata.would_deny == true
	d.dynamic_metadata.rule == "max-refund-amount"
	d.dynamic_metadata.message == "Refund amount exceeds the $500 limit"
	"max-refund-amount (audit, deny)" in d.dynamic_metadata.matched_rules
}

test_enforce_denial_beats_audit if {
	cfg := {"tool_policies": [
		{"name": "a", "mode": "audit", "rules": [{"name": "soft-cap", "max": {"argument": "n", "value": 1}, "message": "soft"}]},
		{"name": "e", "mode": "enforce", "rules": [{"name": "hard-cap", "max": {"argument": "n", "value": 5}, "message": "hard"}]},
	]}
	d := authz.decision with input as tcall("t", {"n": 9}, {}) with data.mcp_authz as cfg
	d.allowed == false
	d.rule == "hard-cap"
	d.dynamic_metadata.would_deny == true
}

firewall := {
	"pii": [{"name": "no-card-or-ssn", "types": ["credit_card", "ssn"], "action": "deny", "message": "card numbers and SSNs may not be sent to tools"}],
	"tool_policies": [{"name": "payments", "tools": ["http_proxy"], "rules": [{"name": "large-payment", "approval_above": {"argument": "amount", "value": 10000}, "message": "payments above 10000 need approval"}]}],
	"business_hours": [{"name": "business-hours", "timezone": "America/New_York", "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "start_hour": 9, "end_hour": 17}],
}

test_pii_denied if {
	inp := json.patch(tcall("http_proxy", {"note": "4111 1111 1111 1111"}, {}), [{"op": "add", "path": "/mcp/findings", "value": [{"type": "credit_card", "path": "note"}]}])
	d := authz.decision with input as inp with data.mcp_authz as firewall
	d.rule == "no-card-or-ssn"
}

test_pii_except_roles if {
	cfg := {"pii": [{"name": "emails", "types": ["email"], "action": "require_approval", "except_roles": ["admin"]}]}
	inp := json.patch(tcall("send", {"to": "a@b.c"}, identity("x", {}, ["admin"])), [{"op": "add", "path": "/mcp/findings", "value": [{"type": "email", "path": "to"}]}])
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.allowed == true
	inp2 := json.patch(inp, [{"op": "replace", "path": "/identity/roles", "value": []}])
	d2 := authz.decision with input as inp2 with data.mcp_authz as cfg
	d2.decision == "require_approval"
}

test_large_payment_requires_approval if {
	d := authz.decision with input as tcall("http_proxy", {"amount": 50000}, {}) with data.mcp_authz as firewall
	d.allowed == false
	d.decision == "require_approval"
	d.rule == "large-payment"
	d.http_status == 403
}

test_precedence_deny_over_approval if {
	inp := json.patch(tcall("http_proxy", {"amount": 50000, "ssn": "123-45-6789"}, {}), [{"op": "add", "path": "/mcp/findings", "value": [{"type": "ssn", "path": "ssn"}]}])
	d := authz.decision with input as inp with data.mcp_authz as firewall
	d.decision == "deny"
	d.rule == "no-card-or-ssn"
	count(d.dynamic_metadata.matched_rules) == 2
}

test_outside_business_hours_denied if {
	inp := json.patch(tcall("http_proxy", {"amount": 5}, {}), [{"op": "replace", "path": "/now/unix_ns", "value": saturday}])
	d := authz.decision with input as inp with data.mcp_authz as firewall
	d.rule == "business-hours"
	d2 := authz.decision with input as tcall("http_proxy", {"amount": 5}, {}) with data.mcp_authz as firewall
	d2.allowed == true
}

roles_cfg := {"roles": {"tools": {
	"get_customer_details": {"roles": ["internal_user", "admin"], "restricted": {"argument": "fields", "values": ["email", "phone", "ssn"], "roles": ["admin"]}},
	"update_customer_status": {"roles": ["admin"]},
	"delete_customer": {"roles": ["admin"]},
}}}

test_customer_db_roles if {
	internal := identity("agent", {}, ["internal_user"])
	admin := identity("agent", {}, ["admin"])
	d1 := authz.decision with input as tcall("get_customer_details", {"customer_id": "CUST-001", "fields": ["name"]}, internal) with data.mcp_authz as roles_cfg
	d1.allowed == true
	d2 := authz.decision with input as tcall("get_customer_details", {"customer_id": "CUST-001", "fields": ["name", "email"]}, internal) with data.mcp_authz as roles_cfg
	d2.rule == "restricted_fields"
	d3 := authz.decision with input as tcall("get_customer_details", {"customer_id": "CUST-001", "fields": {"email": true}}, admin) with data.mcp_authz as roles_cfg
	d3.allowed == true
	d4 := authz.decision with input as tcall("update_customer_status", {"customer_id": "CUST-002"}, internal) with data.mcp_authz as roles_cfg
	d4.rule == "role_not_allowed"
	d5 := authz.decision with input as tcall("delete_customer", {"customer_id": "CUST-002"}, admin) with data.mcp_authz as roles_cfg
	d5.allowed == true
	guest := identity("agent", {}, ["guest"])
	d6 := authz.decision with input as tcall("get_customer_details", {"customer_id": "CUST-001"}, guest) with data.mcp_authz as roles_cfg
	d6.rule == "role_not_allowed"
}

test_jsonrpc_denial_format_echoes_id if {
	cfg := object.union(customer_service, {"denial_format": "jsonrpc"})
	d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 750, "reason": "x"}, support) with data.mcp_authz as cfg
	d.allowed == false
	d.http_status == 200
	d.headers["content-type"] == "application/json"
	body := json.unmarshal(d.body)
	body == {"jsonrpc": "2.0", "id": 42, "error": {"code": -32001, "message": "Refund amount exceeds the $500 limit", "data": {"rule": "max-refund-amount", "decision": "deny"}}}
}

test_jsonrpc_approval_and_batch if {
	cfg := object.union(firewall, {"denial_format": "jsonrpc"})
	inp := {"attributes": post, "truncated_body": false, "now": {"unix_ns": monday}, "mcp": {"is_batch": true, "batch": [
		{"method": "tools/call", "id": 1, "tool": "http_proxy", "arguments": {"amount": 50000}, "urls": [], "findings": []},
		{"method": "notifications/progress"},
	]}}
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.decision == "require_approval"
	body := json.unmarshal(d.body)
	body == [{"jsonrpc": "2.0", "id": 1, "error": {"code": -32002, "message": "payments above 10000 need approval", "data": {"rule": "large-payment", "decision": "require_approval"}}}]
}

test_url_mode_audit if {
	cfg := {"urls": {"mode": "audit"}}
	u := {"path": "url", "raw": "https://malicious.com", "scheme": "https", "host": "malicious.com", "url_path": "/", "ip_class": null, "is_metadata": false, "has_userinfo": false, "ambiguous": false, "ambiguity": []}
	inp := json.patch(tcall("fetch_url", {"url": u.raw}, {}), [{"op": "replace", "path": "/mcp/urls", "value": [u]}])
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.allowed == true
	d.dynamic_metadata.would_deny == true
	d.dynamic_metadata.rule == "url_not_allowed"
}

test_claim_headers_sanitised if {
	evil := identity("support-agent", {"team": "billing\r\nx-admin: true", "customer_id": 42}, [])
	d := authz.decision with input as tcall("customer-tools__lookup_order", {}, evil) with data.mcp_authz as customer_service
	d.allowed == true
	d.headers["x-authz-claim-team"] == "billingx-admin: true"
	d.headers["x-authz-claim-customer-id"] == "42"
	long := identity("support-agent", {"team": concat("", [x | some _ in numbers.range(1, 300); x := "a"])}, [])
	d2 := authz.decision with input as tcall("customer-tools__lookup_order", {}, long) with data.mcp_authz as customer_service
	count(d2.headers["x-authz-claim-team"]) == 256
}

test_required_scopes if {
	cfg := {"tool_policies": [{"name": "writes", "tools": ["write_file"], "required_scopes": ["files:write"]}]}
	reader := object.union(identity("a", {}, []), {"scopes": ["files:read"]})
	d := authz.decision with input as tcall("write_file", {}, reader) with data.mcp_authz as cfg
	d.rule == "required_scope"
	d.http_status == 403
	d.headers["www-authenticate"] == "Bearer error=\"insufficient_scope\", error_description=\"tool write_file requires the scopes files:write\", scope=\"files:write\""
	writer := object.union(identity("a", {}, []), {"scopes": ["files:read", "files:write"]})
	d2 := authz.decision with input as tcall("write_file", {}, writer) with data.mcp_authz as cfg
	d2.allowed == true
	d3 := authz.decision with input as tcall("write_file", {}, {"verified": false, "scopes": []}) with data.mcp_authz as cfg
	d3.http_status == 401
	startswith(d3.headers["www-authenticate"], "Bearer error=\"invalid_token\"")
}
