# URL guardrails, on the server's canonical URL facts (input.mcp.urls), never on raw strings.
package mcp.authz

import rego.v1

url_cfg := object.get(cfg, "urls", {})

# Legacy/demo settings: hosts approved for the URL-checked tools.
default approved_hosts := ["api.weather.gov", "httpbin.org"]

approved_hosts := cfg.approved_hosts if cfg.approved_hosts

default url_tools := ["fetch_url"]

url_tools := cfg.url_tools if cfg.url_tools

# Per-tool allowlists: urls.tools.<tool>.allow = [{host, path_prefix?, scheme?}]. The demo tools get the
# approved hosts over https.
tool_url_rules[tool] := rules if {
	some tool, spec in object.get(url_cfg, "tools", {})
	rules := spec.allow
}

tool_url_rules[tool] := [{"host": h, "scheme": "https"} | some h in approved_hosts] if {
	some tool in url_tools
	not object.get(url_cfg, "tools", {})[tool]
}

# Which IP classes are never reachable through a tool argument.
default blocked_ip_classes := ["loopback", "private", "link_local", "unique_local", "multicast", "unspecified", "reserved"]

blocked_ip_classes := url_cfg.blocked_ip_classes if url_cfg.blocked_ip_classes

url_mode := object.get(url_cfg, "mode", default_mode)

urls_of(call) := object.get(call, "urls", [])

violations contains v(
	"metadata_endpoint", sprintf("tool %s may not reach the cloud metadata service", [call.tool]),
	"deny", url_mode, 403, 1,
) if {
	some call in tool_calls
	some u in urls_of(call)
	u.is_metadata
}

violations contains v(
	"private_network_url", sprintf("tool %s may not reach %s (%s address)", [call.tool, u.host, u.ip_class]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_private", true)
	some call in tool_calls
	some u in urls_of(call)
	u.ip_class in blocked_ip_classes
}

violations contains v(
	"ambiguous_url", sprintf("URL argument %s of tool %s is ambiguous (%s)", [u.path, call.tool, concat(", ", u.ambiguity)]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_ambiguous", true)
	some call in tool_calls
	some u in urls_of(call)
	u.ambiguous
}

violations contains v(
	"url_userinfo", sprintf("URL argument %s of tool %s carries credentials or a user name", [u.path, call.tool]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_userinfo", true)
	some call in tool_calls
	some u in urls_of(call)
	u.has_userinfo
}

violations contains v(
	"url_not_allowed", sprintf("URL %s is not in the approved list for tool %s", [u.raw, call.tool]),
	"deny", url_mode, 403, 3,
) if {
	some call in tool_calls
	rules := tool_url_rules[tool_name(call).tool]
	some u in urls_of(call)
	not url_allowed(u, rules)
}

# A URL-checked tool whose `url` argument is not a URL the server recognised (e.g. "httpbin.org/get" or a list).
violations contains v(
	"url_not_allowed", sprintf("argument url of tool %s is not an absolute URL", [call.tool]),
	"deny", url_mode, 403, 3,
) if {
	some call in tool_calls
	tool_url_rules[tool_name(call).tool]
	call.arguments.url
	not url_fact_at(call, "url")
}

url_fact_at(call, path) if {
	some u in urls_of(call)
	u.path == path
}

url_allowed(u, rules) if {
	some r in rules
	u.host == lower(r.host)
	u.scheme == object.get(r, "scheme", "https")
	startswith(u.url_path, object.get(r, "path_prefix", "/"))
	not u.ambiguous
	not u.has_userinfo
}
