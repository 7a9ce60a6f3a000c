package mcp.authz_custom_rule_test

import rego.v1

import data.mcp.authz

weather(city) := {
	"attributes": {"request": {"http": {"method": "POST", "path": "/mcp"}}},
	"truncated_body": false,
	"mcp": {"method": "tools/call", "id": 1, "tool": "get_weather", "arguments": {"city": city}, "is_batch": false, "urls": [], "findings": []},
}

cfg := {"custom": {"blocked_cities": ["Moscow"]}}

test_blocked_city_denied if {
	d := authz.decision with input as weather(" moscow ") with data.mcp_authz as cfg
	d.allowed == false
	d.rule == "city_blocked"
	d.message == "weather lookups for  moscow  are blocked"
	d.http_status == 403
	d.dynamic_metadata.policy == "blocked-cities"
}

test_other_cities_allowed if {
	d := authz.decision with input as weather("Paris") with data.mcp_authz as cfg
	d.allowed
}

test_custom_rule_follows_the_global_mode if {
	d := authz.decision with input as weather("Moscow") with data.mcp_authz as object.union(cfg, {"mode": "audit"})
	d.allowed == false # a custom violation without a mode enforces: only the rule's author may opt into audit
	d.rule == "city_blocked"
}

test_city_in_another_case_or_with_blank_padding_denied if {
	every args in [{"City": "Moscow"}, {"CITY": "moscow"}, {"city": "\u001cMoscow\u001f"}, {"city": "\u200bmoscow\ufeff"}] {
		d := authz.decision with input as json.patch(weather("x"), [{"op": "replace", "path": "/mcp/arguments", "value": args}]) with data.mcp_authz as cfg
		d.rule == "city_blocked"
	}
}
