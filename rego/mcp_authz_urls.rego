# URL guardrails, on the server's canonical URL facts (input.mcp.urls of every tools/call), never on raw strings.
package mcp.authz

import rego.v1

url_cfg := object.get(cfg, "urls", {})

url_mode := object.get(url_cfg, "mode", default_mode)

urls_of(call) := object.get(call, "urls", [])

# Demo settings: the tools in url_tools may fetch the approved hosts over https.
default approved_hosts := ["api.weather.gov", "httpbin.org"]

approved_hosts := cfg.approved_hosts if cfg.approved_hosts

default url_tools := ["fetch_url"]

url_tools := cfg.url_tools if cfg.url_tools

# Per-tool allowlists: urls.tools.<tool>.allow = [{host, path_prefix?, scheme?, ports?, allow_private?}].
# The url_tools get the approved hosts over https unless urls.tools configures them.
tool_url_rules[tool] := spec.allow if {
	some tool, spec in object.get(url_cfg, "tools", {})
}

tool_url_rules[tool] := [{"host": h, "scheme": "https"} | some h in approved_hosts] if {
	some tool in url_tools
	not object.get(url_cfg, "tools", {})[tool]
}

# ---------------------------------------------------------------------------------------------------------
# Safety rules for URLs in EVERY tool's arguments (each switchable under `urls`).

default blocked_ip_classes := ["loopback", "private", "link_local", "unique_local", "multicast", "unspecified", "reserved"]

blocked_ip_classes := url_cfg.blocked_ip_classes if url_cfg.blocked_ip_classes

# DNS names that resolve inside the network: RFC 6761/6762 special names, private-use TLDs, Kubernetes
# service names. Single-label names (http://redis:6379/, resolved through search domains) are internal too.
default internal_hosts := [
	"localhost", "*.localhost", "*.local", "*.localdomain", "*.internal", "*.intranet", "*.lan", "*.home.arpa",
	"*.cluster.local", "*.svc",
]

internal_hosts := url_cfg.internal_hosts if url_cfg.internal_hosts

# Schemes that reach local files or speak raw protocols to internal services (classic SSRF vectors).
default blocked_schemes := ["file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "smb", "phar"]

blocked_schemes := url_cfg.blocked_schemes if url_cfg.blocked_schemes

violations contains v(
	"metadata_endpoint", sprintf("tool %s may not reach the cloud metadata service", [call.tool]),
	"deny", url_mode, 403, 1,
) if {
	some call in tool_calls
	some u in urls_of(call)
	u.is_metadata
}

violations contains v(
	"url_scheme_blocked", sprintf("URL argument %s of tool %s uses the blocked scheme %s", [u.path, call.tool, u.scheme]),
	"deny", url_mode, 403, 1,
) if {
	some call in tool_calls
	some u in urls_of(call)
	u.scheme in blocked_schemes
}

violations contains v(
	"private_network_url", sprintf("tool %s may not reach %s (%s address)", [call.tool, u.host, u.ip_class]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_private", true)
	some call in tool_calls
	some u in urls_of(call)
	u.ip_class in blocked_ip_classes
	not private_exempt(call, u)
}

violations contains v(
	"internal_hostname", sprintf("tool %s may not reach %s (an internal host name)", [call.tool, u.host]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_internal_hosts", true)
	some call in tool_calls
	some u in urls_of(call)
	internal_host(u)
	not private_exempt(call, u)
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

internal_host(u) if {
	object.get(u, "ip", null) == null
	some p in internal_hosts
	host_matches(u.host, lower(p))
}

internal_host(u) if {
	object.get(u, "ip", null) == null
	u.host != ""
	not contains(u.host, ".")
}

# An explicit per-tool allow entry with allow_private: true lets that tool reach that private or internal host
# (never the metadata service).
private_exempt(call, u) if {
	some r in object.get(tool_url_rules, tool_name(call).tool, [])
	r.allow_private == true
	url_allowed(u, [r])
}

# ---------------------------------------------------------------------------------------------------------
# Allowlists: a tool with URL rules may only use URLs that match one of them, in any argument.

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
	object.get(object.get(call, "arguments", {}), "url", null) != null
	not url_fact_at(call, "url")
}

url_fact_at(call, path) if {
	some u in urls_of(call)
	u.path == path
}

url_allowed(u, rules) if {
	some r in rules
	host_matches(u.host, lower(r.host))
	u.scheme == lower(object.get(r, "scheme", "https"))
	port_allowed(u, r)
	path_allowed(u.url_path, object.get(r, "path_prefix", "/"))
	not u.ambiguous
	not u.has_userinfo
}

# Exact canonical host, or "*.example.com" for any subdomain (not example.com itself).
host_matches(host, pattern) if host == pattern

host_matches(host, pattern) if {
	startswith(pattern, "*.")
	endswith(host, substring(pattern, 1, -1))
}

default_ports := {"http": 80, "https": 443, "ws": 80, "wss": 443}

# Without `ports`, only the scheme's default port (https://host:8443/ is another service).
port_allowed(u, r) if u.port in r.ports

port_allowed(u, r) if {
	not r.ports
	u.port == default_ports[u.scheme]
}

port_allowed(u, r) if {
	not r.ports
	not default_ports[u.scheme]
}

# Path prefixes match whole segments ("/repos/acme" matches /repos/acme and /repos/acme/x, not /repos/acmeevil).
# A path with an encoded slash, backslash or dot could be decoded upstream into another path: not allowed
# under a prefix.
path_allowed(_, "/")

path_allowed(path, prefix) if {
	prefix != "/"
	endswith(prefix, "/")
	startswith(path, prefix)
	not encoded_separator(path)
}

path_allowed(path, prefix) if {
	not endswith(prefix, "/")
	path == prefix
}

path_allowed(path, prefix) if {
	not endswith(prefix, "/")
	startswith(path, concat("", [prefix, "/"]))
	not encoded_separator(path)
}

encoded_separator(path) if {
	some e in ["%2f", "%5c", "%2e"]
	contains(lower(path), e)
}
