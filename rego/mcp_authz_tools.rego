# Who calls which tool: identity, gateway-prefixed tool names, tool access per agent, roles.
package mcp.authz

import rego.v1

identity := object.get(input, "identity", {})

# The calling agent (identity.agent: the mTLS peer's whole SPIFFE ID, a header or a claim, per the server's
# identity config).
agent := identity.agent

# Short agent names in data (agents.support-agent): only for SPIFFE IDs whose trust domain and namespace the
# operator lists in agent_scopes: [{trust_domain, namespaces: [...]}]. Any other workload with the same service
# account name (another namespace, another trust domain) is a different agent.
short_agent := identity.workload.service_account if {
	agent == sprintf("spiffe://%s%s", [identity.workload.trust_domain, identity.workload.path])
	some s in object.get(cfg, "agent_scopes", [])
	s.trust_domain == identity.workload.trust_domain
	identity.workload.namespace in s.namespaces
}

default agent_label := "(unidentified)"

agent_label := agent if is_string(agent)

# Roles and claims count only from a verified token.
default roles := set()

roles := {r | some r in object.get(identity, "roles", [])} if identity.verified == true

default claims := {}

claims := object.get(identity, ["user", "claims"], {}) if identity.verified == true

# ---------------------------------------------------------------------------------------------------------
# Gateway-prefixed tool names: with servers [customer-tools], "customer-tools__process_refund" and
# "customer-tools_process_refund" are tool process_refund of server customer-tools. The longest prefix wins.
# Unprefixed names belong to default_server ("" unless configured).

default separators := ["__", "_"]

separators := cfg.tool_separators if cfg.tool_separators

servers := object.get(cfg, "servers", [])

default_server := object.get(cfg, "default_server", "")

prefixed(name) := {[s, substring(name, count(p), -1)] |
	some s in servers
	some sep in separators
	p := concat("", [s, sep])
	startswith(name, p)
	count(name) > count(p)
}

tool_name(call) := {"server": m[0], "tool": m[1], "name": call.tool} if {
	ms := prefixed(call.tool)
	count(ms) > 0
	m := sort([[count(x[1]), x] | some x in ms])[0][1]
}

tool_name(call) := {"server": default_server, "tool": call.tool, "name": call.tool} if count(prefixed(call.tool)) == 0

# The name of every tool call, by index (computed once per call).
call_names := [tool_name(c) | some c in tool_calls]

# Does a policy entry select this tool? `tools` (bare or full names) and `registry` are optional.
selects(entry, t) if {
	not entry.tools
	object.get(entry, "registry", t.server) == t.server
}

selects(entry, t) if {
	named(entry.tools, t)
	object.get(entry, "registry", t.server) == t.server
}

named(list, t) if t.tool in list

named(list, t) if t.name in list

mode_of(entry) := object.get(entry, "mode", default_mode)

# ---------------------------------------------------------------------------------------------------------
# Tool access per agent: agents.<id> (or agents["*"] for every other agent) =
# {mode: allowlist | denylist, tools: [...], registries: {<server>: [...]}}.

agents := object.get(cfg, "agents", {})

access_mode := object.get(cfg, "tool_access_mode", default_mode)

# The entry for the whole ID wins over the short name; agents["*"] covers everyone else.
agent_entry := agents[agent] if agents[agent]

agent_entry := agents[short_agent] if {
	not agents[agent]
	agents[short_agent]
}

agent_entry := agents["*"] if not known_agent

known_agent if agents[agent]

known_agent if agents[short_agent]

listed(entry, t) if named(object.get(entry, "tools", []), t)

listed(entry, t) if named(object.get(entry, ["registries", t.server], []), t)

violations contains v(
	"tool_not_allowed", sprintf("agent %s may not call tool %s", [agent_label, call.tool]),
	"deny", access_mode, 403, 4,
) if {
	object.get(agent_entry, "mode", "allowlist") == "allowlist"
	some i, call in tool_calls
	not listed(agent_entry, call_names[i])
}

violations contains v(
	"tool_denied", sprintf("agent %s may not call tool %s", [agent_label, call.tool]),
	"deny", access_mode, 403, 4,
) if {
	agent_entry.mode == "denylist"
	some i, call in tool_calls
	listed(agent_entry, call_names[i])
}

violations contains v("agent_unknown", sprintf("agent %s is not known to this policy", [agent_label]), "deny", access_mode, 403, 4) if {
	count(tool_calls) > 0
	object.get(cfg, "unknown_agents", "allow") == "deny"
	not agent_entry
}

# ---------------------------------------------------------------------------------------------------------
# Roles: roles.tools.<tool> = {roles: [...], restricted: {argument, values: [...], roles: [...]}};
# roles.unlisted_tools: allow (default) | deny.

role_cfg := object.get(cfg, "roles", {})

role_tools := object.get(role_cfg, "tools", {})

role_mode := mode_of(role_cfg)

violations contains v(
	"role_not_allowed", sprintf("tool %s requires one of the roles %s", [call.tool, concat(", ", spec.roles)]),
	"deny", role_mode, 403, 4,
) if {
	some i, call in tool_calls
	spec := role_tools[call_names[i].tool]
	count(roles & {r | some r in spec.roles}) == 0
}

violations contains v("role_not_allowed", sprintf("tool %s is not open to any role", [call.tool]), "deny", role_mode, 403, 4) if {
	role_cfg.unlisted_tools == "deny"
	some i, call in tool_calls
	not role_tools[call_names[i].tool]
}

violations contains v(
	"restricted_fields", sprintf("fields %s of tool %s require one of the roles %s", [concat(", ", sort(asked)), call.tool, concat(", ", spec.restricted.roles)]),
	"deny", role_mode, 403, 4,
) if {
	some i, call in tool_calls
	spec := role_tools[call_names[i].tool]
	asked := requested(arg(call, spec.restricted.argument)) & restricted_values(spec)
	count(asked) > 0
	count(roles & {r | some r in spec.restricted.roles}) == 0
}

# A fields argument may be a list of names, an object of flags, or one name; names are compared case-insensitively
# and comma-separated strings are split ("email,phone"), so no spelling slips past.
requested(x) := {field_key(f) | some e in x; is_string(e); some f in split(e, ",")} if is_array(x)

requested(x) := {field_key(k) | some k, val in x; val != false} if is_object(x)

requested(x) := {field_key(f) | some f in split(x, ",")} if is_string(x)

requested(null) := set()

field_key(s) := lower(trim_space(s))

restricted_values(spec) := {field_key(f) | some f in spec.restricted.values}
