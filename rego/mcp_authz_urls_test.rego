package mcp.authz_urls_test

import rego.v1

import data.mcp.authz

post := {"request": {"http": {"method": "POST", "path": "/mcp"}}}

# A URL fact as the server computes it (docs/input.md); `extra` overrides fields.
fact(raw, scheme, host, port, path, extra) := object.union(
	{
		"path": "url", "raw": raw, "scheme": scheme, "host": host, "port": port, "url_path": path, "query": "",
		"ip": null, "ip_version": null, "ip_class": null, "is_metadata": false, "has_userinfo": false,
		"ambiguous": false, "ambiguity": [], "public_tld": public_tld(host),
	},
	extra,
)

# As the server says for these tests' hosts: a dotted name (the tests use real TLDs), never an IP or single label.
public_tld(host) if {
	contains(host, ".")
	not regex.match(`^[0-9.:]+$`, host)
	not contains(host, ":")
} else := false

call(tool, urls) := {
	"attributes": post,
	"truncated_body": false,
	"mcp": {"method": "tools/call", "id": 1, "tool": tool, "arguments": {"url": urls[0].raw}, "is_batch": false, "urls": urls, "findings": []},
}

github := {"urls": {"tools": {"http_get": {"allow": [
	{"host": "api.github.com", "path_prefix": "/repos/acme"},
	{"host": "*.githubusercontent.com"},
	{"host": "inventory.svc.cluster.local", "scheme": "http", "ports": [8080], "allow_private": true},
	{"host": "10.0.0.7", "scheme": "http", "allow_private": true},
]}}}}

decide(u) := d if {
	d := authz.decision with input as call("http_get", [u]) with data.mcp_authz as github
}

test_path_prefix_matches_whole_segments if {
	decide(fact("https://api.github.com/repos/acme", "https", "api.github.com", 443, "/repos/acme", {})).allowed
	decide(fact("https://api.github.com/repos/acme/x", "https", "api.github.com", 443, "/repos/acme/x", {})).allowed
	d := decide(fact("https://api.github.com/repos/acmeevil/x", "https", "api.github.com", 443, "/repos/acmeevil/x", {}))
	d.rule == "url_not_allowed"
}

test_trailing_slash_prefix if {
	cfg := {"urls": {"tools": {"t": {"allow": [{"host": "h.com", "path_prefix": "/api/"}]}}}}
	ok := fact("https://h.com/api/v1", "https", "h.com", 443, "/api/v1", {})
	d := authz.decision with input as call("t", [ok]) with data.mcp_authz as cfg
	d.allowed
	bare := fact("https://h.com/api", "https", "h.com", 443, "/api", {})
	d2 := authz.decision with input as call("t", [bare]) with data.mcp_authz as cfg
	d2.rule == "url_not_allowed"
}

test_encoded_separators_not_allowed_under_a_prefix if {
	every p in ["/repos/acme/..%2Fevil", "/repos/acme/%2e%2e/evil", "/repos/acme/a%5C..%5Cevil"] {
		d := decide(fact(concat("", ["https://api.github.com", p]), "https", "api.github.com", 443, p, {}))
		d.rule == "url_not_allowed"
	}
}

test_wildcard_subdomains if {
	decide(fact("https://raw.githubusercontent.com/a", "https", "raw.githubusercontent.com", 443, "/a", {})).allowed
	d := decide(fact("https://githubusercontent.com/a", "https", "githubusercontent.com", 443, "/a", {}))
	d.rule == "url_not_allowed"
	d2 := decide(fact("https://evilgithubusercontent.com/a", "https", "evilgithubusercontent.com", 443, "/a", {}))
	d2.rule == "url_not_allowed"
}

test_ports if {
	d := decide(fact("https://api.github.com:8443/repos/acme", "https", "api.github.com", 8443, "/repos/acme", {}))
	d.rule == "url_not_allowed"
	decide(fact("http://inventory.svc.cluster.local:8080/x", "http", "inventory.svc.cluster.local", 8080, "/x", {})).allowed
	d2 := decide(fact("http://inventory.svc.cluster.local/x", "http", "inventory.svc.cluster.local", 80, "/x", {}))
	d2.allowed == false
	cfg := {"urls": {"tools": {"t": {"allow": [{"host": "h.com", "scheme": "ftp"}]}}}}
	ftp := fact("ftp://h.com/f", "ftp", "h.com", 21, "/f", {})
	d3 := authz.decision with input as call("t", [ftp]) with data.mcp_authz as cfg
	d3.allowed
}

test_scheme_must_match if {
	d := decide(fact("http://api.github.com/repos/acme", "http", "api.github.com", 80, "/repos/acme", {}))
	d.rule == "url_not_allowed"
}

test_allow_private_exempts_only_that_tool_and_host if {
	private := {"ip": "10.0.0.7", "ip_version": 4, "ip_class": "private"}
	decide(fact("http://10.0.0.7/", "http", "10.0.0.7", 80, "/", private)).allowed
	d := authz.decision with input as call("other_tool", [fact("http://10.0.0.7/", "http", "10.0.0.7", 80, "/", private)]) with data.mcp_authz as github
	d.rule == "private_network_url"
	d2 := decide(fact("http://10.0.0.8/", "http", "10.0.0.8", 80, "/", {"ip": "10.0.0.8", "ip_version": 4, "ip_class": "private"}))
	d2.rule == "private_network_url"
}

test_allow_private_never_exempts_metadata if {
	cfg := {"urls": {"tools": {"t": {"allow": [{"host": "169.254.169.254", "scheme": "http", "allow_private": true}]}}}}
	u := fact("http://169.254.169.254/", "http", "169.254.169.254", 80, "/", {"ip": "169.254.169.254", "ip_class": "link_local", "is_metadata": true})
	d := authz.decision with input as call("t", [u]) with data.mcp_authz as cfg
	d.rule == "metadata_endpoint"
}

test_internal_hostnames_denied_in_any_tool if {
	every host in ["localhost", "app.localhost", "printer.local", "db.internal", "kubernetes.default.svc", "api.prod.svc.cluster.local", "redis"] {
		u := fact(sprintf("http://%s/", [host]), "http", host, 80, "/", {})
		d := authz.decision with input as call("summarise", [u])
		d.rule == "internal_hostname"
	}
}

test_internal_hostnames_configurable if {
	u := fact("http://redis:6379/", "http", "redis", 6379, "/", {})
	d := authz.decision with input as call("summarise", [u]) with data.mcp_authz as {"urls": {"deny_internal_hosts": false}}
	d.allowed
	corp := fact("http://wiki.corp/", "http", "wiki.corp", 80, "/", {})
	d2 := authz.decision with input as call("summarise", [corp]) with data.mcp_authz as {"urls": {"internal_hosts": ["*.corp"]}}
	d2.rule == "internal_hostname"
	d3 := authz.decision with input as call("summarise", [corp])
	d3.allowed
}

test_blocked_schemes if {
	every s in ["file", "gopher", "dict"] {
		u := fact(sprintf("%s://x.example.com/", [s]), s, "x.example.com", null, "/", {})
		d := authz.decision with input as call("summarise", [u])
		d.rule == "url_scheme_blocked"
	}
}

test_blocked_schemes_configurable if {
	u := fact("gopher://x.example.com/", "gopher", "x.example.com", 70, "/", {})
	d := authz.decision with input as call("summarise", [u]) with data.mcp_authz as {"urls": {"blocked_schemes": ["file"]}}
	d.allowed
}

test_private_switches if {
	u := fact("http://10.1.1.1/", "http", "10.1.1.1", 80, "/", {"ip": "10.1.1.1", "ip_version": 4, "ip_class": "private"})
	d := authz.decision with input as call("summarise", [u]) with data.mcp_authz as {"urls": {"deny_private": false}}
	d.allowed
	d2 := authz.decision with input as call("summarise", [u]) with data.mcp_authz as {"urls": {"blocked_ip_classes": ["loopback"]}}
	d2.allowed
	amb := fact("https://a.com\\@b.com", "https", "a.com", 443, "/@b.com", {"ambiguous": true, "ambiguity": ["backslash"]})
	d3 := authz.decision with input as call("summarise", [amb]) with data.mcp_authz as {"urls": {"deny_ambiguous": false}}
	d3.allowed
	ui := fact("https://u@b.com/", "https", "b.com", 443, "/", {"has_userinfo": true})
	d4 := authz.decision with input as call("summarise", [ui]) with data.mcp_authz as {"urls": {"deny_userinfo": false}}
	d4.allowed
	d5 := authz.decision with input as call("summarise", [ui])
	d5.rule == "url_userinfo"
}

test_urls_anywhere_in_the_arguments if {
	nested := fact("http://127.0.0.1/", "http", "127.0.0.1", 80, "/", {"path": "items[3].href", "ip": "127.0.0.1", "ip_version": 4, "ip_class": "loopback"})
	inp := {"attributes": post, "truncated_body": false, "mcp": {"method": "tools/call", "id": 1, "tool": "summarise", "arguments": {"items": []}, "is_batch": false, "urls": [nested], "findings": []}}
	d := authz.decision with input as inp
	d.rule == "private_network_url"
	d.message == "tool summarise may not reach 127.0.0.1 (loopback address)"
}
