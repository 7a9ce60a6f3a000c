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
default blocked_schemes := [
	"file", "gopher", "dict", "ldap", "ldaps", "ldapi", "tftp", "jar", "netdoc", "smb", "phar", "php", "expect", "glob",
	"zip", "compress.zlib", "compress.bzip2", "ogg", "rar", "ssh2.shell", "ssh2.exec", "ssh2.tunnel", "ssh2.sftp",
	"ssh2.scp",
]

blocked_schemes := url_cfg.blocked_schemes if url_cfg.blocked_schemes

violations contains v(
	"metadata_endpoint", sprintf("%s may not reach the cloud metadata service", [subject(m)]),
	"deny", url_mode, 403, 1,
) if {
	some m in messages
	some u in urls_of(m)
	u.is_metadata
}

violations contains v(
	"url_scheme_blocked", sprintf("URL %s of %s uses the blocked scheme %s", [u.path, subject(m), u.scheme]),
	"deny", url_mode, 403, 1,
) if {
	some m in messages
	some u in urls_of(m)
	u.scheme in blocked_schemes
	not client_root(m, u)
}

# The client's roots/list result: roots are file:// URIs by the MCP specification (a response the client sends
# tells the server which directories it may use; it fetches nothing). Only file URIs at $result.roots[i].uri;
# every other "never" rule (metadata, private and internal hosts, other blocked schemes) still applies to it.
client_root(m, u) if {
	m.is_response
	u.scheme == "file"
	regex.match(`^\$result\.roots\[[0-9]+\]\.uri$`, u.path)
}

violations contains v(
	"private_network_url", sprintf("%s may not reach %s (%s address)", [subject(m), u.host, u.ip_class]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_private", true)
	some m in messages
	some u in urls_of(m)
	u.ip_class in blocked_ip_classes
	not private_exempt(m, u)
}

violations contains v(
	"internal_hostname", sprintf("%s may not reach %s (an internal host name)", [subject(m), u.host]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_internal_hosts", true)
	some m in messages
	some u in urls_of(m)
	internal_host(u)
	not private_exempt(m, u)
}

violations contains v(
	"ambiguous_url", sprintf("URL %s of %s is ambiguous (%s)", [u.path, subject(m), concat(", ", u.ambiguity)]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_ambiguous", true)
	some m in messages
	some u in urls_of(m)
	u.ambiguous
}

violations contains v(
	"url_userinfo", sprintf("URL %s of %s carries credentials or a user name", [u.path, subject(m)]),
	"deny", url_mode, 403, 2,
) if {
	object.get(url_cfg, "deny_userinfo", true)
	some m in messages
	some u in urls_of(m)
	u.has_userinfo
}

# Internal names: the configured patterns; any DNS name without a delegated top-level domain (single labels such
# as redis, and the names a pod's resolver completes through its search domains: kubernetes.default, svc.ns,
# svc.ns.svc, svc.ns.svc.cluster); and <service>.<namespace>[.svc] for the cluster's namespaces that are also
# top-level domains (urls.cluster_namespaces, e.g. a namespace called "dev" or "app").
internal_host(u) if {
	object.get(u, "ip", null) == null
	some p in internal_hosts
	host_matches(u.host, lower(p))
}

internal_host(u) if {
	object.get(u, "ip", null) == null
	u.host != ""
	not object.get(u, "public_tld", false)
}

internal_host(u) if {
	object.get(u, "ip", null) == null
	labels := split(u.host, ".")
	count(labels) in {2, 3}
	labels[1] in cluster_namespaces
	array.slice(labels, 2, 3) in [[], ["svc"]]
}

default cluster_namespaces := ["default", "kube-system", "kube-public", "kube-node-lease"]

cluster_namespaces := url_cfg.cluster_namespaces if url_cfg.cluster_namespaces

# An explicit per-tool allow entry with allow_private: true lets that tool reach that private or internal host
# (never the metadata service).
private_exempt(m, u) if {
	m.method == "tools/call"
	some r in object.get(tool_url_rules, tool_name(m).tool, [])
	r.allow_private == true
	url_allowed(u, [r])
}

# Other methods: urls.methods.<method>.allow (e.g. resources/read of an internal documentation server).
private_exempt(m, u) if {
	m.method != "tools/call"
	some r in object.get(url_cfg, ["methods", m.method, "allow"], [])
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
	arg(call, "url") != null
	not url_fact_at(call, "url")
}

# The argument is read folded, as arg() reads it ({"URL": …} is the url to a Go upstream).
url_fact_at(call, path) if {
	some u in urls_of(call)
	fold(u.path) == fold(path)
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
