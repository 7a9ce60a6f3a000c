package mcp.authz_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

# A URL fact as the server computes it (see docs/input.md).
url(raw, scheme, host, path) := {
	"path": "url", "raw": raw, "scheme": scheme, "host": host, "port": object.get({"http": 80, "https": 443}, scheme, null),
	"url_path": path, "query": "", "ip": null, "ip_version": null, "ip_class": null,
	"is_metadata": false, "has_userinfo": false, "ambiguous": false, "ambiguity": [],
	"public_tld": public_tld(host),
}

# As the server says for these tests' hosts: a dotted name (the tests use real TLDs), never an IP or single label.
public_tld(host) if {
	contains(host, ".")
	not regex.match(`^[0-9.]+$`, host)
} else := false

with_fields(u, fields) := object.union(u, fields)

call_with(tool, args, urls, findings, identity) := {
	"attributes": post,
	"truncated_body": false,
	"now": {"unix_ns": 1763805600000000000},
	"identity": identity,
	"mcp": {"method": "tools/call", "id": 7, "tool": tool, "arguments": args, "is_batch": false, "urls": urls, "findings": findings},
}

call(tool, args, urls) := call_with(tool, args, urls, [], {})

fetch(u) := call("fetch_url", {"url": u.raw}, [u])

# ---------------------------------------------------------------------------------------------------------
# The MCP gateway demo (no data).

test_fetch_malicious_denied if {
	d := authz.decision with input as fetch(url("https://malicious.com", "https", "malicious.com", "/"))
	d.allowed == false
	d.decision == "deny"
	d.rule == "url_not_allowed"
	d.message == "URL https://malicious.com is not in the approved list for tool fetch_url"
	d.http_status == 403
	"url_not_allowed (enforce, deny)" in d.dynamic_metadata.matched_rules
}

test_fetch_httpbin_allowed if {
	d := authz.decision with input as fetch(url("https://httpbin.org/get", "https", "httpbin.org", "/get"))
	d.allowed == true
	d.headers["x-mcp-authz-decision"] == "allow"
	not d.dynamic_metadata
}

test_fetch_bare_host_allowed if {
	d := authz.decision with input as fetch(url("https://api.weather.gov", "https", "api.weather.gov", "/"))
	d.allowed == true
}

test_imds_denied_as_metadata if {
	u := with_fields(url("http://169.254.169.254/latest/meta-data", "http", "169.254.169.254", "/latest/meta-data"), {"ip": "169.254.169.254", "ip_class": "link_local", "is_metadata": true})
	d := authz.decision with input as fetch(u)
	d.allowed == false
	d.rule == "metadata_endpoint"
	d.message == "tool fetch_url may not reach the cloud metadata service"
	count(d.dynamic_metadata.matched_rules) == 3
}

test_metadata_denied_in_any_tool if {
	u := with_fields(url("http://metadata.google.internal/", "http", "metadata.google.internal", "/"), {"is_metadata": true})
	d := authz.decision with input as call("summarise", {"source": u.raw}, [u])
	d.rule == "metadata_endpoint"
}

test_private_urls_denied_in_any_tool if {
	every class in ["loopback", "private", "link_local", "unique_local", "multicast", "unspecified", "reserved"] {
		u := with_fields(url("http://10.0.0.1/", "http", "10.0.0.1", "/"), {"ip": "10.0.0.1", "ip_class": class})
		d := authz.decision with input as call("summarise", {"link": u.raw}, [u])
		d.rule == "private_network_url"
	}
}

test_public_ip_allowed_for_unrestricted_tools if {
	u := with_fields(url("http://8.8.8.8/", "http", "8.8.8.8", "/"), {"ip": "8.8.8.8", "ip_class": "public"})
	d := authz.decision with input as call("summarise", {"link": u.raw}, [u])
	d.allowed == true
}

test_bypass_forms_denied if {
	suffix := url("https://httpbin.org.evil.com/x", "https", "httpbin.org.evil.com", "/x")
	d1 := authz.decision with input as fetch(suffix)
	d1.rule == "url_not_allowed"
	userinfo := with_fields(url("https://httpbin.org@evil.com/", "https", "evil.com", "/"), {"has_userinfo": true})
	d2 := authz.decision with input as fetch(userinfo)
	d2.allowed == false
	d2.rule == "url_userinfo"
	plain := url("http://httpbin.org/get", "http", "httpbin.org", "/get")
	d3 := authz.decision with input as fetch(plain)
	d3.allowed == false
	amb := with_fields(url("https://httpbin.org\\@evil.com", "https", "httpbin.org", "/@evil.com"), {"ambiguous": true, "ambiguity": ["backslash", "parser_mismatch"]})
	d4 := authz.decision with input as fetch(amb)
	d4.rule == "ambiguous_url"
}

test_non_url_url_argument_denied if {
	d := authz.decision with input as call("fetch_url", {"url": "httpbin.org/get"}, [])
	d.rule == "url_not_allowed"
	d.message == "argument url of tool fetch_url is not an absolute URL"
	d2 := authz.decision with input as call("fetch_url", {"url": ["https://httpbin.org/get"]}, [])
	d2.rule == "url_not_allowed"
}

test_other_tools_allowed if {
	d := authz.decision with input as call("get_weather", {"city": "Paris"}, [])
	d.allowed == true
}

test_batch_with_one_bad_call_denied if {
	good := url("https://httpbin.org/get", "https", "httpbin.org", "/get")
	bad := url("https://malicious.com", "https", "malicious.com", "/")
	inp := {
		"attributes": post,
		"truncated_body": false,
		"mcp": {"is_batch": true, "batch": [
			{"method": "tools/call", "id": 1, "tool": "fetch_url", "arguments": {"url": good.raw}, "urls": [good]},
			{"method": "tools/call", "id": 2, "tool": "fetch_url", "arguments": {"url": bad.raw}, "urls": [bad]},
		]},
	}
	d := authz.decision with input as inp
	d.allowed == false
	d.rule == "url_not_allowed"
}

test_approved_hosts_from_data if {
	ex := url("https://example.com/a", "https", "example.com", "/a")
	d := authz.decision with input as fetch(ex) with data.mcp_authz.approved_hosts as ["example.com"]
	d.allowed == true
	hb := url("https://httpbin.org/get", "https", "httpbin.org", "/get")
	d2 := authz.decision with input as fetch(hb) with data.mcp_authz.approved_hosts as ["example.com"]
	d2.allowed == false
}

test_per_tool_allowlist_with_path_prefix if {
	cfg := {"urls": {"tools": {"http_get": {"allow": [{"host": "api.github.com", "path_prefix": "/repos/acme/"}]}}}}
	ok := url("https://api.github.com/repos/acme/x", "https", "api.github.com", "/repos/acme/x")
	d := authz.decision with input as call("http_get", {"url": ok.raw}, [ok]) with data.mcp_authz as cfg
	d.allowed == true
	other := url("https://api.github.com/repos/evil/x", "https", "api.github.com", "/repos/evil/x")
	d2 := authz.decision with input as call("http_get", {"url": other.raw}, [other]) with data.mcp_authz as cfg
	d2.rule == "url_not_allowed"
}

# ---------------------------------------------------------------------------------------------------------
# Guards.

test_malformed_jsonrpc_denied if {
	inp := {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "error": {"code": "jsonrpc_invalid_version", "message": "jsonrpc must be \"2.0\""}}}
	d := authz.decision with input as inp
	d.allowed == false
	d.rule == "invalid_jsonrpc"
	d.http_status == 400
}

test_truncated_body_denied if {
	inp := {"attributes": post, "truncated_body": true, "mcp": {"is_batch": false, "error": {"code": "body_truncated", "message": "partial"}}}
	d := authz.decision with input as inp
	d.rule == "body_truncated"
	d.http_status == 413
}

test_facts_truncated_denied if {
	inp := json.patch(call("x", {}, []), [{"op": "add", "path": "/mcp/facts_truncated", "value": true}])
	d := authz.decision with input as inp
	d.rule == "arguments_not_inspected"
}

test_initialize_allowed if {
	d := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "method": "initialize", "id": 1}}
	d.allowed == true
}

test_response_message_allowed if {
	d := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "is_response": true, "id": 1}}
	d.allowed == true
}

test_get_stream_allowed if {
	d := authz.decision with input as {"attributes": {"request": {"http": {"method": "GET", "path": "/mcp"}}}, "truncated_body": false, "mcp": {"is_batch": false, "session_id": "s"}}
	d.allowed == true
}

test_post_without_message_denied if {
	d := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false}}
	d.rule == "unsupported_request"
	d.http_status == 405
}

test_missing_http_attributes_denied if {
	d := authz.decision with input as {"attributes": {}, "truncated_body": false, "mcp": {"is_batch": false}}
	d.rule == "unsupported_request"
}
