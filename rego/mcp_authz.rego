# mcp-authz default policy.
#
# Entrypoint: mcp/authz/decision. The decision is an object in the shape OPA's Envoy plugin accepts
# (allowed, headers, http_status, body, ...) plus mcp-authz's rule and message. See README "Decision format".
package mcp.authz

import rego.v1

# Hosts a fetch-style tool may reach (the mcp-gateway demo's approved APIs). Override with data.mcp_authz.
default approved_hosts := ["api.weather.gov", "httpbin.org"]

approved_hosts := data.mcp_authz.approved_hosts if data.mcp_authz.approved_hosts

# Tools whose `url` argument is checked against approved_hosts.
default url_tools := ["fetch_url"]

url_tools := data.mcp_authz.url_tools if data.mcp_authz.url_tools

# ---------------------------------------------------------------------------------------------------------
# Denials. Each is {rule, message, status}. When several match, the first by rule name (sorted) is reported.

deny contains {"rule": "body_truncated", "message": "the request body was truncated by the gateway and cannot be inspected", "status": 413} if {
	input.truncated_body
}

deny contains {"rule": "invalid_jsonrpc", "message": input.mcp.error.message, "status": 400} if {
	not input.truncated_body
	input.mcp.error
}

deny contains {"rule": "unsupported_request", "message": sprintf("%s requests without an MCP message are not allowed", [http_method]), "status": 405} if {
	not input.mcp.error
	not input.truncated_body
	not mcp_message
	not http_method in {"GET", "DELETE"}
}

http_method := upper(object.get(input, ["attributes", "request", "http", "method"], ""))

# A valid JSON-RPC message (request, notification, response) or batch was parsed from the body.
mcp_message if input.mcp.method
mcp_message if input.mcp.is_response
mcp_message if count(object.get(input.mcp, "batch", [])) > 0

deny contains {"rule": "metadata_endpoint", "message": sprintf("tool %s may not reach the cloud metadata service", [call.tool]), "status": 403} if {
	some call in tool_calls
	some url in call_urls(call)
	metadata_url(url)
}

deny contains {"rule": "url_not_allowed", "message": sprintf("URL %s is not in the approved list for tool %s", [url, call.tool]), "status": 403} if {
	some call in tool_calls
	some url in call_urls(call)
	not approved_url(url)
}

# Every tools/call in the body: the message itself, or each entry of a batch.
tool_calls contains msg if {
	input.mcp.method == "tools/call"
	msg := input.mcp
}

tool_calls contains msg if {
	some msg in input.mcp.batch
	msg.method == "tools/call"
}

call_urls(call) := {url |
	call.tool in url_tools
	url := call.arguments.url
}

# A URL is approved when it is exactly https://<host> or starts with https://<host>/ for an approved host.
# Requiring the "/" after the host rejects https://httpbin.org.evil.com and https://httpbin.org@evil.com.
approved_url(url) if {
	some host in approved_hosts
	url == concat("", ["https://", host])
}

approved_url(url) if {
	some host in approved_hosts
	startswith(url, concat("", ["https://", host, "/"]))
}

metadata_url(url) if {
	is_string(url)
	contains(url, "169.254.169.254")
}

metadata_url(url) if {
	is_string(url)
	contains(lower(url), "metadata.google.internal")
}

# ---------------------------------------------------------------------------------------------------------
# The decision.

first_denial := sort([d.rule | some d in deny])[0]

denial := d if {
	some d in deny
	d.rule == first_denial
}

default decision := {"allowed": false, "rule": "default_deny", "message": "no rule matched", "http_status": 403}

decision := {
	"allowed": false,
	"decision": "deny",
	"rule": denial.rule,
	"message": denial.message,
	"http_status": denial.status,
} if count(deny) > 0

decision := {
	"allowed": true,
	"decision": "allow",
	"headers": {"x-mcp-authz-decision": "allow"},
} if count(deny) == 0
