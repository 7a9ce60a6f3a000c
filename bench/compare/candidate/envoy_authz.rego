# The shadow candidate of `npm run bench:compare` (scenario authz-nocache-shadow): bench/compare/envoy_authz.rego with
# docs.example.com no longer approved. bench/request.json fetches httpbin.org, so both revisions allow it: the
# scenario measures what shadowing costs, not what recording differences costs.
package envoy.authz

default allow := false

allowed_tools := {"fetch_url", "search_docs", "get_weather"}

approved_hosts := {"httpbin.org", "api.weather.example"}

allow if {
	input.attributes.request.http.method == "POST"
	startswith(input.attributes.source.principal, "spiffe://cluster.local/ns/agents/")
	input.parsed_body.jsonrpc == "2.0"
	input.parsed_body.method == "tools/call"
	input.parsed_body.params.name in allowed_tools
	parts := split(input.parsed_body.params.arguments.url, "/")
	parts[0] == "https:"
	parts[2] in approved_hosts
}
