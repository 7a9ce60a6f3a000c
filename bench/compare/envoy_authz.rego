# The policy both servers run in `npm run bench:compare`: opa-envoy-plugin compatible (it reads only
# input.attributes and input.parsed_body, and its entrypoint is envoy/authz/allow, the peer's default path).
# Allows a tools/call of a known tool from an agent workload, fetching an https URL on an approved host.
package envoy.authz

default allow := false

allowed_tools := {"fetch_url", "search_docs", "get_weather"}

approved_hosts := {"httpbin.org", "api.weather.example", "docs.example.com"}

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
