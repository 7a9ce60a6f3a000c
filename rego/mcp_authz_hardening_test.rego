package mcp.authz_hardening_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

msg(m) := {"attributes": post, "truncated_body": false, "mcp": object.union(m, {"is_batch": false})}

call(tool, args, extra) := msg(object.union(
	{"method": "tools/call", "id": 1, "tool": tool, "arguments": args, "is_notification": false, "is_response": false, "urls": [], "findings": [], "documents": []},
	extra,
))

refunds := {"tool_policies": [{"name": "refunds", "tools": ["refund"], "rules": [
	{"name": "cap", "max": {"argument": "amount", "value": 500}, "message": "cap"},
	{"name": "reason", "required": "reason", "message": "reason"},
	{"name": "pay", "approval_above": {"argument": "body.amount", "value": 100}, "message": "approval"},
]}]}

test_case_variant_argument_is_read_like_go if {
	d := authz.decision with input as call("refund", {"AMOUNT": 900, "Reason": "x"}, {}) with data.mcp_authz as refunds
	d.rule == "cap"
}

test_invisible_reason_is_empty if {
	d := authz.decision with input as call("refund", {"amount": 1, "reason": "\u200b\ufeff\u2060\u00a0\u3164"}, {}) with data.mcp_authz as refunds
	d.rule == "reason"
}

test_amount_inside_documents if {
	json_doc := [{"path": "body", "format": "json", "value": {"amount": 1000}}]
	d1 := authz.decision with input as call("refund", {"amount": 1, "reason": "x", "body": "{}"}, {"documents": json_doc}) with data.mcp_authz as refunds
	d1.decision == "require_approval"
	form_doc := [{"path": "body", "format": "form", "value": {"amount": "1000"}}]
	d2 := authz.decision with input as call("refund", {"amount": 1, "reason": "x", "body": "a=b"}, {"documents": form_doc}) with data.mcp_authz as refunds
	d2.decision == "require_approval"
	small := [{"path": "body", "format": "form", "value": {"amount": "10"}}]
	d3 := authz.decision with input as call("refund", {"amount": 1, "reason": "x", "body": "a=b"}, {"documents": small}) with data.mcp_authz as refunds
	d3.allowed
}

test_unparsed_document_denied_unless_switched_off if {
	bad := [{"path": "body", "format": "json", "error": "body_invalid_json"}]
	d := authz.decision with input as call("t", {"body": "{x"}, {"documents": bad})
	d.rule == "document_not_understood"
	d2 := authz.decision with input as call("t", {"body": "{x"}, {"documents": bad}) with data.mcp_authz as {"documents": {"deny_unparsed": false}}
	d2.allowed
}

test_never_rules_apply_to_every_method if {
	u := {"path": "$params.uri", "raw": "http://169.254.169.254/", "scheme": "http", "host": "169.254.169.254", "ip": "169.254.169.254", "ip_class": "link_local", "is_metadata": true, "ambiguous": false, "ambiguity": [], "has_userinfo": false, "public_tld": false}
	d := authz.decision with input as msg({"method": "resources/read", "id": 1, "is_notification": false, "is_response": false, "urls": [u]})
	d.rule == "metadata_endpoint"
	d.message == "resources/read may not reach the cloud metadata service"
}

test_internal_names_without_public_tld if {
	u := {"path": "link", "raw": "https://kubernetes.default/", "scheme": "https", "host": "kubernetes.default", "ip": null, "ip_class": null, "is_metadata": false, "ambiguous": false, "ambiguity": [], "has_userinfo": false, "public_tld": false}
	d := authz.decision with input as call("t", {"link": u.raw}, {"urls": [u]})
	d.rule == "internal_hostname"
	ns := object.union(u, {"host": "api.dev", "public_tld": true})
	d2 := authz.decision with input as call("t", {"link": "x"}, {"urls": [ns]}) with data.mcp_authz as {"urls": {"cluster_namespaces": ["dev"]}}
	d2.rule == "internal_hostname"
	d3 := authz.decision with input as call("t", {"link": "x"}, {"urls": [ns]})
	d3.allowed
}

test_header_mismatch_answered_as_jsonrpc_32020 if {
	i := {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "id": 7, "error": {"code": "header_mismatch", "message": "Header mismatch: x", "jsonrpc_code": -32020}}}
	d := authz.decision with input as i
	d.http_status == 400
	json.unmarshal(d.body) == {"jsonrpc": "2.0", "id": 7, "error": {"code": -32020, "message": "Header mismatch: x"}}
}

scoped := {"unknown_agents": "deny", "agent_scopes": [{"trust_domain": "cluster.local", "namespaces": ["agents"]}], "agents": {"bot": {"tools": ["t"]}}}

workload(td, ns) := {
	"agent": sprintf("spiffe://%s/ns/%s/sa/bot", [td, ns]),
	"workload": {"principal": sprintf("spiffe://%s/ns/%s/sa/bot", [td, ns]), "trust_domain": td, "path": sprintf("/ns/%s/sa/bot", [ns]), "namespace": ns, "service_account": "bot"},
}

test_short_agent_names_only_in_scope if {
	ok := authz.decision with input as object.union(call("t", {}, {}), {"identity": workload("cluster.local", "agents")}) with data.mcp_authz as scoped
	ok.allowed
	ns := authz.decision with input as object.union(call("t", {}, {}), {"identity": workload("cluster.local", "attacker")}) with data.mcp_authz as scoped
	ns.rule == "agent_unknown"
	td := authz.decision with input as object.union(call("t", {}, {}), {"identity": workload("evil.example", "agents")}) with data.mcp_authz as scoped
	td.rule == "agent_unknown"
}

# Issue 19 §3: blank is White_Space, every control and every Default_Ignorable_Code_Point; present is a letter
# or a digit once those are gone.
test_blank_reasons_are_empty if {
	every r in [
		"\u000b", "\u0085", "\u001c\u001d\u001e\u001f", "\ufe0f", "\udb40\udd00", "\udb40\uddef", "\udb43\udfff", "\u2065",
		"\ufff0", "\ud82f\udca0", "\u180e", "\u00ad", " \t\r\n", "", "\u061c\u202e", "--", "...",
	] {
		d := authz.decision with input as call("refund", {"amount": 1, "reason": r}, {}) with data.mcp_authz as refunds
		d.rule == "reason"
	}
}

# Issue 19 class 5: in audit mode a blank reason is allowed and marked would_deny, never silently passed.
test_blank_reason_in_audit_mode_is_would_deny if {
	audit := json.patch(refunds, [{"op": "add", "path": "/tool_policies/0/mode", "value": "audit"}])
	every r in ["\u000b", "\u0085", "\u001c\u001f", "\udb40\udd00", "\udb43\udfff"] {
		d := authz.decision with input as call("refund", {"amount": 1, "reason": r}, {}) with data.mcp_authz as audit
		d.allowed == true
		d.dynamic_metadata.would_deny == true
		d.dynamic_metadata.rule == "reason"
	}
}

test_present_reasons_pass if {
	every r in ["duplicate charge", "\u200bx", "٣", "退款", "Ünïcode", "7"] {
		d := authz.decision with input as call("refund", {"amount": 1, "reason": r}, {}) with data.mcp_authz as refunds
		d.allowed
	}
}

test_trim_blank_is_wider_than_python_strip if {
	authz.trim_blank("\u001c\u200b Moscow \u001f\ufeff") == "Moscow"
	authz.trim_blank("New York") == "New York"
}

# Issue 19 §6: the url rule reads the argument folded, as arg() does.
test_url_argument_in_another_case_is_checked if {
	fetch := {"url_tools": ["fetch_url"], "approved_hosts": ["httpbin.org"]}
	d := authz.decision with input as call("fetch_url", {"URL": "evil.com/x"}, {}) with data.mcp_authz as fetch
	d.rule == "url_not_allowed"
}

# The client's roots/list result carries file:// roots by specification: allowed; other URLs in it are not.
test_roots_list_response_allowed if {
	root := {"path": "$result.roots[0].uri", "raw": "file:///home/user/project", "scheme": "file", "host": "", "ip": null, "ip_class": null, "is_metadata": false, "ambiguous": false, "ambiguity": [], "has_userinfo": false, "public_tld": false}
	d := authz.decision with input as msg({"id": 1, "is_response": true, "urls": [root], "findings": [], "documents": []})
	d.allowed
	elsewhere := object.union(root, {"path": "$result.other"})
	d2 := authz.decision with input as msg({"id": 1, "is_response": true, "urls": [elsewhere], "findings": [], "documents": []})
	d2.rule == "url_scheme_blocked"
}
