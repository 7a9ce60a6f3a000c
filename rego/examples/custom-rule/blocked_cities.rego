# A custom rule beside the guardrails pack: "Block parameters by value" from the MCP gateway scenario
# (input.context.request.http.body.params.arguments.city == "Moscow"), on mcp-authz's input.
#
# Put this file in the same policy directory as the pack's rego/*.rego and build with the pack's entrypoint
# (mcp/authz/decision). A rule only has to add {rule, message} to `violations`; the pack fills in the rest
# (action deny, mode enforce, HTTP 403) and applies precedence, audit mode and the denial format.
package mcp.authz

import rego.v1

violations contains {
	"rule": "city_blocked",
	"message": sprintf("weather lookups for %s are blocked", [city]),
	"policy": "blocked-cities",
} if {
	some call in tool_calls # every tools/call, batches included
	call.tool == "get_weather"
	city := arg(call, "city") # folded: {"City": …} is the city to the upstream
	is_string(city)
	lower(trim_blank(city)) in {lower(c) | some c in object.get(cfg, ["custom", "blocked_cities"], [])}
}
