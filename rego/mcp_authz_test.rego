package mcp.authz_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

call(tool, args) := {
	"attributes": post,
	"truncated_body": false,
	"mcp": {"method": "tools/call", "id": 1, "tool": tool, "arguments": args, "is_batch": false},
}

test_fetch_malicious_denied if {
	d := authz.decision with input as call("fetch_url", {"url": "https://malicious.com"})
	d.allowed == false
	d.rule == "url_not_allowed"
	d.http_status == 403
}

test_fetch_httpbin_allowed if {
	d := authz.decision with input as call("fetch_url", {"url": "https://httpbin.org/get"})
	d.allowed == true
	d.headers["x-mcp-authz-decision"] == "allow"
}

test_fetch_bare_host_allowed if {
	d := authz.decision with input as call("fetch_url", {"url": "https://api.weather.gov"})
	d.allowed == true
}

test_imds_denied_as_metadata if {
	d := authz.decision with input as call("fetch_url", {"url": "http://169.254.169.254/latest/meta-data"})
	d.allowed == false
	d.rule == "metadata_endpoint"
}

test_gcp_metadata_denied if {
	d := authz.decision with input as call("fetch_url", {"url": "http://Metadata.Google.Internal/computeMetadata/v1/"})
	d.rule == "metadata_endpoint"
}

test_suffix_and_userinfo_bypass_denied if {
	d1 := authz.decision with input as call("fetch_url", {"url": "https://httpbin.org.evil.com/x"})
	d1.allowed == false
	d2 := authz.decision with input as call("fetch_url", {"url": "https://httpbin.org@evil.com/"})
	d2.allowed == false
	d3 := authz.decision with input as call("fetch_url", {"url": "http://httpbin.org/get"})
	d3.allowed == false
}

test_non_string_url_denied if {
	d := authz.decision with input as call("fetch_url", {"url": ["https://httpbin.org/get"]})
	d.allowed == false
	d.rule == "url_not_allowed"
}

test_other_tools_allowed if {
	d := authz.decision with input as call("get_weather", {"city": "Paris"})
	d.allowed == true
}

test_batch_with_one_bad_call_denied if {
	inp := {
		"attributes": post,
		"truncated_body": false,
		"mcp": {"is_batch": true, "batch": [
			{"method": "tools/call", "id": 1, "tool": "fetch_url", "arguments": {"url": "https://httpbin.org/get"}},
			{"method": "tools/call", "id": 2, "tool": "fetch_url", "arguments": {"url": "https://malicious.com"}},
		]},
	}
	d := authz.decision with input as inp
	d.allowed == false
	d.rule == "url_not_allowed"
}

test_malformed_jsonrpc_denied if {
	inp := {"attributes": {}, "truncated_body": false, "mcp": {"is_batch": false, "error": {"code": "jsonrpc_invalid_version", "message": "jsonrpc must be \"2.0\""}}}
	d := authz.decision with input as inp
	d.allowed == false
	d.rule == "invalid_jsonrpc"
	d.http_status == 400
}

test_truncated_body_denied if {
	inp := {"attributes": {}, "truncated_body": true, "mcp": {"is_batch": false, "error": {"code": "body_truncated", "message": "partial"}}}
	d := authz.decision with input as inp
	d.allowed == false
	d.rule == "body_truncated"
	d.http_status == 413
}

test_approved_hosts_from_data if {
	d := authz.decision with input as call("fetch_url", {"url": "https://example.com/a"})
		with data.mcp_authz.approved_hosts as ["example.com"]
	d.allowed == true
	d2 := authz.decision with input as call("fetch_url", {"url": "https://httpbin.org/get"})
		with data.mcp_authz.approved_hosts as ["example.com"]
	d2.allowed == false
}

test_initialize_allowed if {
	d := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false, "method": "initialize", "id": 1}}
	d.allowed == true
}

test_get_stream_allowed if {
	d := authz.decision with input as {"attributes": {"request": {"http": {"method": "GET", "path": "/mcp"}}}, "truncated_body": false, "mcp": {"is_batch": false, "session_id": "s"}}
	d.allowed == true
}

test_post_without_message_denied if {
	d := authz.decision with input as {"attributes": post, "truncated_body": false, "mcp": {"is_batch": false}}
	d.allowed == false
	d.rule == "unsupported_request"
	d.http_status == 405
}

test_missing_http_attributes_denied if {
	d := authz.decision with input as {"attributes": {}, "truncated_body": false, "mcp": {"is_batch": false}}
	d.allowed == false
	d.rule == "unsupported_request"
}
