package mcp.authz_decision_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

tcall(tool, args) := {
	"attributes": post,
	"truncated_body": false,
	"mcp": {"method": "tools/call", "id": "req-1", "tool": tool, "arguments": args, "is_batch": false, "urls": [], "findings": []},
}

# ---------------------------------------------------------------------------------------------------------
# Custom rules beside the pack: whatever they add to `violations` is normalised, and fails closed.

test_custom_violation_with_rule_and_message_denies if {
	d := authz.decision with input as tcall("get_weather", {"city": "Moscow"})
		with authz.violations as {{"rule": "city-blocked", "message": "weather lookups for this city are blocked"}}
	d.allowed == false
	d.decision == "deny"
	d.rule == "city-blocked"
	d.message == "weather lookups for this city are blocked"
	d.http_status == 403
	d.dynamic_metadata.mode == "enforce"
}

test_custom_violation_strings_and_junk_deny if {
	d := authz.decision with input as tcall("t", {}) with authz.violations as {"nope"}
	d.allowed == false
	d.rule == "custom_rule"
	d.message == "nope"
	d2 := authz.decision with input as tcall("t", {}) with authz.violations as {42}
	d2.allowed == false
	d2.message == "request denied by policy"
}

test_custom_violation_unknown_values_are_strict if {
	d := authz.decision with input as tcall("t", {})
		with authz.violations as {{"rule": "", "action": "maybe", "mode": "shadow", "status": 200, "priority": "high"}}
	d.allowed == false
	d.decision == "deny"
	d.rule == "custom_rule"
	d.http_status == 403
}

test_custom_violation_may_ask_for_approval_or_audit if {
	d := authz.decision with input as tcall("t", {})
		with authz.violations as {{"rule": "ask", "message": "m", "action": "require_approval", "status": 409}}
	d.decision == "require_approval"
	not d.http_status
	d2 := authz.decision with input as tcall("t", {})
		with authz.violations as {{"rule": "soft", "message": "m", "mode": "audit", "status": 451}}
	d2.allowed == true
	d2.dynamic_metadata.would_deny == true
	d3 := authz.decision with input as tcall("t", {})
		with authz.violations as {{"rule": "legal", "message": "m", "status": 451}}
	d3.http_status == 451
}

# ---------------------------------------------------------------------------------------------------------
# Precedence and metadata.

test_most_specific_denial_reported_and_all_listed if {
	d := authz.decision with input as tcall("t", {}) with authz.violations as {
		{"rule": "b-rule", "message": "b", "priority": 5},
		{"rule": "a-rule", "message": "a", "priority": 5},
		{"rule": "guard", "message": "g", "priority": 0},
		{"rule": "ask", "message": "q", "action": "require_approval"},
	}
	d.rule == "guard"
	d.dynamic_metadata.matched_rules == ["a-rule (enforce, deny)", "ask (enforce, require_approval)", "b-rule (enforce, deny)", "guard (enforce, deny)"]
}

test_approval_beats_allow_and_audit if {
	d := authz.decision with input as tcall("t", {}) with authz.violations as {
		{"rule": "ask", "message": "q", "action": "require_approval", "policy": "limits"},
		{"rule": "soft", "message": "s", "mode": "audit"},
	}
	d.allowed == false
	d.decision == "require_approval"
	d.dynamic_metadata == {
		"mode": "enforce", "decision": "require_approval", "would_deny": false, "rule": "ask", "message": "q",
		"policy": "limits", "matched_rules": ["ask (enforce, require_approval)", "soft (audit, deny)"],
	}
}

test_audit_only_approval if {
	d := authz.decision with input as tcall("t", {}) with authz.violations as {{"rule": "ask", "message": "q", "action": "require_approval", "mode": "audit"}}
	d.allowed == true
	d.dynamic_metadata.would_deny == false
	d.dynamic_metadata.would_require_approval == true
	d.dynamic_metadata.rule == "ask"
}

test_audit_denial_reported_before_audit_approval if {
	d := authz.decision with input as tcall("t", {}) with authz.violations as {
		{"rule": "a-ask", "message": "q", "action": "require_approval", "mode": "audit", "priority": 0},
		{"rule": "z-deny", "message": "d", "mode": "audit", "priority": 9},
	}
	d.allowed == true
	d.dynamic_metadata.rule == "z-deny"
	d.dynamic_metadata.would_deny == true
	d.dynamic_metadata.would_require_approval == true
}

test_global_audit_mode if {
	u := {"path": "url", "raw": "https://malicious.com", "scheme": "https", "host": "malicious.com", "port": 443, "url_path": "/", "ip": null, "ip_class": null, "is_metadata": false, "has_userinfo": false, "ambiguous": false, "ambiguity": [], "public_tld": true}
	inp := json.patch(tcall("fetch_url", {"url": u.raw}), [{"op": "replace", "path": "/mcp/urls", "value": [u]}])
	d := authz.decision with input as inp with data.mcp_authz as {"mode": "audit"}
	d.allowed == true
	d.headers["x-mcp-authz-decision"] == "allow"
	d.dynamic_metadata.mode == "audit"
	d.dynamic_metadata.rule == "url_not_allowed"
}

# ---------------------------------------------------------------------------------------------------------
# Denial formats.

jsonrpc := {"denial_format": "jsonrpc"}

test_jsonrpc_string_id_and_custom_codes if {
	cfg := object.union(jsonrpc, {"jsonrpc_error_code": -32010})
	d := authz.decision with input as tcall("t", {}) with authz.violations as {{"rule": "r", "message": "no"}} with data.mcp_authz as cfg
	d.http_status == 200
	json.unmarshal(d.body) == {"jsonrpc": "2.0", "id": "req-1", "error": {"code": -32010, "message": "no", "data": {"rule": "r", "decision": "deny"}}}
}

test_jsonrpc_not_for_guards if {
	inp := {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "error": {"code": "body_invalid_json", "message": "not JSON"}}}
	d := authz.decision with input as inp with data.mcp_authz as jsonrpc
	d.http_status == 400
	not d.body
}

test_jsonrpc_not_for_notifications if {
	inp := json.patch(tcall("t", {}), [{"op": "remove", "path": "/mcp/id"}])
	d := authz.decision with input as inp with authz.violations as {{"rule": "r", "message": "no"}} with data.mcp_authz as jsonrpc
	d.http_status == 403
	not d.body
}

test_jsonrpc_not_for_authentication_challenges if {
	cfg := object.union(jsonrpc, {"tool_policies": [{"name": "p", "required_claims": [{"claim": "team", "message": "Team claim is required"}]}]})
	d := authz.decision with input as tcall("t", {}) with data.mcp_authz as cfg
	d.http_status == 401
	not d.body
	startswith(d.headers["www-authenticate"], "Bearer error=\"invalid_token\", error_description=\"Team claim is required\"")
}

test_jsonrpc_batch_skips_responses_and_notifications if {
	inp := {"attributes": post, "truncated_body": false, "mcp": {"is_batch": true, "batch": [
		{"method": "tools/call", "id": 1, "tool": "t", "arguments": {}, "urls": [], "findings": []},
		{"is_response": true, "id": 9},
		{"method": "notifications/cancelled"},
		{"method": "ping", "id": "p"},
	]}}
	d := authz.decision with input as inp with authz.violations as {{"rule": "r", "message": "no"}} with data.mcp_authz as jsonrpc
	[e.id | some e in json.unmarshal(d.body)] == [1, "p"]
}

test_challenge_strips_quotes if {
	cfg := {"tool_policies": [{"name": "p", "required_claims": [{"claim": "team", "message": "say \"hi\" \\ now"}]}]}
	d := authz.decision with input as tcall("t", {}) with data.mcp_authz as cfg
	d.headers["www-authenticate"] == "Bearer error=\"invalid_token\", error_description=\"say 'hi'  now\""
}

# ---------------------------------------------------------------------------------------------------------
# Headers.

test_managed_headers_lists_every_injectable_header if {
	cfg := {
		"claim_headers": [{"claim": "team", "header": "X-Authz-Claim-Team"}],
		"tool_policies": [{"name": "p", "tools": ["a"], "headers": [{"header": "X-Processed-By", "value": "mcp-authz"}]}],
	}
	m := authz.managed_headers with data.mcp_authz as cfg
	m == {"x-mcp-authz-decision", "x-authz-claim-team", "x-processed-by"}
	d := authz.decision with input as tcall("b", {}) with data.mcp_authz as cfg
	d.request_headers_to_remove == ["x-authz-claim-team", "x-processed-by"]
}

test_static_identity_and_conflicting_headers if {
	cfg := {"tool_policies": [
		{"name": "p1", "headers": [{"header": "X-Processed-By", "value": "zeta"}, {"header": "X-Agent", "identity": "agent"}]},
		{"name": "p2", "headers": [{"header": "x-processed-by", "value": "alpha"}, {"header": "X-Sub", "identity": "user.sub"}, {"header": "X-Ns", "identity": "workload"}]},
	]}
	inp := object.union(tcall("t", {}), {"identity": {"verified": true, "agent": "bot-1", "user": {"sub": "u\n1", "claims": {}}, "workload": {"namespace": "n"}}})
	d := authz.decision with input as inp with data.mcp_authz as cfg
	d.headers == {"x-mcp-authz-decision": "allow", "x-processed-by": "alpha", "x-agent": "bot-1", "x-sub": "u1"}
	d.request_headers_to_remove == ["x-ns"]
}
