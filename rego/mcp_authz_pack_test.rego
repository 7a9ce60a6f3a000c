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
	authz.tool_name({"tool": "customer-tools__process_refund"}) == {"server": "customer-tools", "tool": "process_refund", "name": "customer-tools__process_refund"} with data.mcp_authz as customer_service
	authz.tool_name({"tool": "customer-tools_lookup_order"}) == {"server": "customer-tools", "tool": "lookup_order", "name": "customer-tools_lookup_order"} with data.mcp_authz as customer_service
	authz.tool_name({"tool": "lookup_order"}) == {"server": "", "tool": "lookup_order", "name": "lookup_order"} with data.mcp_authz as customer_service
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
	every reason in [null, "", "   ", []] {
		d := authz.decision with input as tcall("customer-tools__process_refund", {"amount": 10, "reason": reason}, support) with data.mcp_authz as customer_service
		d.rule == "require-reason"
		d.message == "A reason is required for refund requests"
	}
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
	d.dynamic_metadata.mode == "enforce"
	d.dynamic_metadata.would_deny == false
	d.dynamic_metadata.policy == "e"
	d.dynamic_metadata.matched_rules == ["hard-cap (enforce, deny)", "soft-cap (audit, deny)"]
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
	not d.http_status # the server's decision.approval_status applies
	d2 := authz.decision with input as tcall("http_proxy", {"amount": 50000}, {}) with data.mcp_authz as object.union(firewall, {"approval_http_status": 428})
	d2.http_status == 428
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
	d.message == "tool http_proxy may only be called Monday–Friday 09:00-17:00 America/New_York"
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
	u := {"path": "url", "raw": "https://malicious.com", "scheme": "https", "host": "malicious.com", "port": 443, "url_path": "/", "ip": null, "ip_class": null, "is_metadata": false, "has_userinfo": false, "ambiguous": false, "ambiguity": [], "public_tld": true}
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

# resource_metadata (RFC 9728): the challenge names the protected resource metadata document, on 401 and 403.
test_challenge_names_resource_metadata if {
	prm := "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	cfg := {"resource_metadata": prm, "tool_policies": [{"name": "writes", "tools": ["write_file"], "required_scopes": ["files:write"]}]}
	d := authz.decision with input as tcall("write_file", {}, {"verified": false, "scopes": []}) with data.mcp_authz as cfg
	d.http_status == 401
	d.headers["www-authenticate"] == sprintf("Bearer error=\"invalid_token\", error_description=\"tool write_file requires the scopes files:write\", scope=\"files:write\", resource_metadata=\"%s\"", [prm])
	reader := object.union(identity("a", {}, []), {"scopes": ["files:read"]})
	d2 := authz.decision with input as tcall("write_file", {}, reader) with data.mcp_authz as cfg
	d2.http_status == 403
	endswith(d2.headers["www-authenticate"], sprintf(", resource_metadata=\"%s\"", [prm]))
}

# ---------------------------------------------------------------------------------------------------------
# More argument rules.

rules_cfg := {"tool_policies": [{"name": "transfers", "tools": ["transfer"], "rules": [
	{"name": "min-amount", "min": {"argument": "body.amount", "value": 1}, "message": "amount must be at least 1"},
	{"name": "currency", "one_of": {"argument": "body.currency", "values": ["usd", "eur"]}, "message": "unsupported currency"},
	{"name": "no-sanctioned", "none_of": {"argument": "country", "values": ["kp", "ir"]}, "message": "sanctioned destination"},
	{"name": "big-transfer", "max": {"argument": "body.amount", "value": 5000}, "action": "require_approval", "message": "transfers above 5000 need approval"},
	{"name": "huge-transfer", "approval_above": {"argument": "body.amount", "value": 100000}, "action": "deny", "message": "transfers above 100000 are refused"},
]}]}

transfer(args) := d if {
	d := authz.decision with input as tcall("transfer", args, {}) with data.mcp_authz as rules_cfg
}

test_rules_on_nested_arguments if {
	transfer({"body": {"amount": 10, "currency": "usd"}, "country": "fr"}).allowed
	transfer({"body": {"amount": 0, "currency": "usd"}}).rule == "min-amount"
	ten := transfer({"body": {"amount": "ten", "currency": "usd"}})
	ten.dynamic_metadata.matched_rules == ["big-transfer (enforce, require_approval)", "huge-transfer (enforce, deny)", "min-amount (enforce, deny)"]
	transfer({"body": {"amount": 10, "currency": "gbp"}}).rule == "currency"
	transfer({"body": {"amount": 10, "currency": "USD"}}).rule == "currency"
	transfer({"body": {"amount": 10}, "country": " KP"}).rule == "no-sanctioned"
}

test_rule_actions_can_be_overridden if {
	d := transfer({"body": {"amount": 6000}})
	d.decision == "require_approval"
	d.rule == "big-transfer"
	d2 := transfer({"body": {"amount": 200000}})
	d2.decision == "deny"
	d2.rule == "huge-transfer"
}

test_approval_threshold_on_a_non_number_needs_approval if {
	d := authz.decision with input as tcall("http_proxy", {"amount": "50000"}, {}) with data.mcp_authz as firewall
	d.decision == "require_approval"
	d.rule == "large-payment"
}

# ---------------------------------------------------------------------------------------------------------
# Tool names and access.

test_default_server_for_unprefixed_names if {
	cfg := object.union(customer_service, {"default_server": "customer-tools"})
	d := authz.decision with input as tcall("process_refund", {"amount": 750, "reason": "x"}, support) with data.mcp_authz as cfg
	d.rule == "max-refund-amount"
	d2 := authz.decision with input as tcall("process_refund", {"amount": 750, "reason": "x"}, support) with data.mcp_authz as customer_service
	d2.rule == "tool_not_allowed"
}

test_custom_separator if {
	cfg := {"servers": ["github"], "tool_separators": ["."], "agents": {"bot": {"registries": {"github": ["list_issues"]}}}}
	d := authz.decision with input as tcall("github.list_issues", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d.allowed
	d2 := authz.decision with input as tcall("github_list_issues", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d2.rule == "tool_not_allowed"
}

test_wildcard_agent_entry if {
	cfg := {"agents": {"*": {"mode": "denylist", "tools": ["delete_account"]}, "admin-bot": {"mode": "denylist", "tools": []}}}
	d := authz.decision with input as tcall("delete_account", {}, identity("random", {}, [])) with data.mcp_authz as cfg
	d.rule == "tool_denied"
	d.message == "agent random may not call tool delete_account"
	d2 := authz.decision with input as tcall("delete_account", {}, {}) with data.mcp_authz as cfg
	d2.message == "agent (unidentified) may not call tool delete_account"
	d3 := authz.decision with input as tcall("delete_account", {}, identity("admin-bot", {}, [])) with data.mcp_authz as cfg
	d3.allowed
}

test_unknown_agents_denied_without_any_agents if {
	d := authz.decision with input as tcall("t", {}, {}) with data.mcp_authz as {"unknown_agents": "deny"}
	d.rule == "agent_unknown"
	d2 := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "method": "tools/list", "id": 1}} with data.mcp_authz as {"unknown_agents": "deny"}
	d2.allowed
}

test_allowlist_by_full_name if {
	cfg := {"servers": ["weather"], "agents": {"bot": {"tools": ["weather__forecast"]}}}
	d := authz.decision with input as tcall("weather__forecast", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d.allowed
	d2 := authz.decision with input as tcall("other__forecast", {}, identity("bot", {}, [])) with data.mcp_authz as cfg
	d2.rule == "tool_not_allowed"
}

test_access_rules_in_audit_mode if {
	cfg := object.union(customer_service, {"tool_access_mode": "audit"})
	d := authz.decision with input as tcall("customer-tools__delete_account", {}, support) with data.mcp_authz as cfg
	d.allowed
	d.dynamic_metadata.rule == "tool_not_allowed"
}

# ---------------------------------------------------------------------------------------------------------
# Roles and claims.

test_restricted_fields_cannot_be_smuggled if {
	internal := identity("agent", {}, ["internal_user"])
	every fields in ["name,email", "EMAIL", ["Phone "], {"ssn": 1}] {
		d := authz.decision with input as tcall("get_customer_details", {"customer_id": "C", "fields": fields}, internal) with data.mcp_authz as roles_cfg
		d.rule == "restricted_fields"
	}
	d2 := authz.decision with input as tcall("get_customer_details", {"customer_id": "C", "fields": {"email": false}}, internal) with data.mcp_authz as roles_cfg
	d2.allowed
}

test_roles_need_a_verified_token if {
	unverified := {"verified": false, "agent": "agent", "roles": ["admin"]}
	d := authz.decision with input as tcall("delete_customer", {"customer_id": "C"}, unverified) with data.mcp_authz as roles_cfg
	d.rule == "role_not_allowed"
}

test_unlisted_tools_denied_when_configured if {
	cfg := json.patch(roles_cfg, [{"op": "add", "path": "/roles/unlisted_tools", "value": "deny"}])
	d := authz.decision with input as tcall("drop_tables", {}, identity("agent", {}, ["admin"])) with data.mcp_authz as cfg
	d.rule == "role_not_allowed"
	d.message == "tool drop_tables is not open to any role"
}

test_required_claim_values if {
	cfg := {"tool_policies": [{"name": "billing-only", "required_claims": [{"claim": "org.team", "values": ["billing"], "message": "billing team only"}]}]}
	ok := identity("a", {"org": {"team": "billing"}}, [])
	d := authz.decision with input as tcall("t", {}, ok) with data.mcp_authz as cfg
	d.allowed
	list := identity("a", {"org": {"team": ["sales", "billing"]}}, [])
	d2 := authz.decision with input as tcall("t", {}, list) with data.mcp_authz as cfg
	d2.allowed
	other := identity("a", {"org": {"team": "sales"}}, [])
	d3 := authz.decision with input as tcall("t", {}, other) with data.mcp_authz as cfg
	d3.rule == "required_claim:org.team"
	d3.http_status == 403
	d3.headers["www-authenticate"] == "Bearer error=\"insufficient_scope\", error_description=\"billing team only\""
}

test_pii_require_approval_per_tool if {
	cfg := {"pii": [{"types": ["email"], "action": "require_approval", "tools": ["send_mail"]}]}
	inp := json.patch(tcall("send_mail", {"to": "a@b.c"}, {}), [{"op": "add", "path": "/mcp/findings", "value": [{"type": "email", "path": "to"}]}])
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.decision == "require_approval"
	d.rule == "pii_detected"
	d.message == "tool send_mail arguments contain email (to)"
	inp2 := json.patch(inp, [{"op": "replace", "path": "/mcp/tool", "value": "log"}])
	d2 := authz.decision with input as inp2 with data.mcp_authz as cfg
	d2.allowed
}

test_business_hours_without_clock_is_closed if {
	inp := json.patch(tcall("http_proxy", {"amount": 5}, {}), [{"op": "remove", "path": "/now"}])
	d := authz.decision with input as inp with data.mcp_authz as firewall
	d.rule == "business-hours"
	d.message == "tool http_proxy may only be called Monday–Friday 09:00-17:00 America/New_York"
}

test_business_hours_edges if {
	# Monday 2025-11-24 in New York: 08:59 closed, 09:00 open, 16:59 open, 17:00 closed (EST = UTC-5).
	every t in [[1763992740000000000, false], [1763992800000000000, true], [1764021540000000000, true], [1764021600000000000, false]] {
		inp := json.patch(tcall("http_proxy", {"amount": 5}, {}), [{"op": "replace", "path": "/now/unix_ns", "value": t[0]}])
		d := authz.decision with input as inp with data.mcp_authz as firewall
		d.allowed == t[1]
	}
}

test_batch_checks_every_call if {
	inp := {"attributes": post, "truncated_body": false, "now": {"unix_ns": monday}, "identity": support, "mcp": {"is_batch": true, "batch": [
		{"method": "tools/call", "id": 1, "tool": "customer-tools__lookup_order", "arguments": {}, "urls": [], "findings": []},
		{"method": "tools/call", "id": 2, "tool": "customer-tools__process_refund", "arguments": {"amount": 900, "reason": "x"}, "urls": [], "findings": []},
	]}}
	d := authz.decision with input as inp with data.mcp_authz as customer_service
	d.rule == "max-refund-amount"
}

test_claim_header_arrays_and_unicode_separators if {
	cfg := {"claim_headers": [{"claim": "groups", "header": "X-Groups"}, {"claim": "team", "header": "X-Team"}, {"claim": "org", "header": "X-Org"}], "header_value_max_length": 12}
	who := identity("a", {"groups": ["eng", "eng,admin", {"x": 1}, true, 7, "sales", "toolongvalue"], "team": "  ops\u2028x-admin: 1\u0085 ", "org": {"id": 1}}, [])
	d := authz.decision with input as tcall("t", {}, who) with data.mcp_authz as cfg
	d.headers["x-groups"] == "eng,true,7"
	d.headers["x-team"] == "opsx-admin:"
	not d.headers["x-org"]
	"x-org" in d.request_headers_to_remove
}

test_same_rule_from_two_policies_in_a_batch if {
	cfg := {"tool_policies": [
		{"name": "financial-limits", "tools": ["http_proxy"], "rules": [{"name": "large-payment", "approval_above": {"argument": "body.amount", "value": 10000}, "message": "payments above 10000 require approval"}]},
		{"name": "payment-limits", "tools": ["create_payment"], "rules": [{"name": "large-payment", "approval_above": {"argument": "amount", "value": 10000}, "message": "payments above 10000 require approval"}]},
	]}
	inp := {"attributes": post, "truncated_body": false, "mcp": {"is_batch": true, "batch": [
		{"method": "tools/call", "id": 1, "tool": "http_proxy", "arguments": {"body": {"amount": 50000}}, "urls": [], "findings": []},
		{"method": "tools/call", "id": 2, "tool": "create_payment", "arguments": {"amount": 50000}, "urls": [], "findings": []},
	]}}
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.decision == "require_approval"
	d.rule == "large-payment"
	d.dynamic_metadata.policy == "financial-limits"
	d.dynamic_metadata.matched_rules == ["large-payment (enforce, require_approval)"]
}

test_business_hours_days_as_people_write_them if {
	authz.day_span(["Friday", "Monday", "Wednesday", "Tuesday", "Thursday"]) == "Monday–Friday"
	authz.day_span(["Saturday", "Sunday"]) == "Saturday, Sunday"
	authz.day_span(["Monday", "Wednesday", "Friday"]) == "Monday, Wednesday, Friday"
	authz.day_span(["Tuesday"]) == "Tuesday"
}
