# Tool guardrails: access per agent, argument rules, PII, roles, business hours, required claims.
package mcp.authz

import rego.v1

identity := object.get(input, "identity", {})

agent := identity.agent

roles := {r | some r in object.get(identity, "roles", [])}

claims := object.get(identity, ["user", "claims"], {})

# ---------------------------------------------------------------------------------------------------------
# Gateway-prefixed tool names: with servers [customer-tools], "customer-tools__process_refund" and
# "customer-tools_process_refund" are tool process_refund of server customer-tools. The longest match wins.

default separators := ["__", "_"]

separators := cfg.tool_separators if cfg.tool_separators

servers := object.get(cfg, "servers", [])

prefixed(name) := {[s, substring(name, count(p), -1)] |
	some s in servers
	some sep in separators
	p := concat("", [s, sep])
	startswith(name, p)
	count(name) > count(p)
}

tool_name(call) := {"server": m[0], "tool": m[1]} if {
	ms := prefixed(call.tool)
	count(ms) > 0
	m := sort([[count(x[1]), x] | some x in ms])[0][1]
}

tool_name(call) := {"server": "", "tool": call.tool} if count(prefixed(call.tool)) == 0

# Does a policy entry select this call? `tools` (names after prefix mapping) and `registry` are optional.
selects(entry, call) if {
	t := tool_name(call)
	not entry.tools
	object.get(entry, "registry", t.server) == t.server
}

selects(entry, call) if {
	t := tool_name(call)
	t.tool in entry.tools
	object.get(entry, "registry", t.server) == t.server
}

mode_of(entry) := object.get(entry, "mode", default_mode)

# ---------------------------------------------------------------------------------------------------------
# Tool access per agent: agents.<id> = {mode: allowlist|denylist, tools: [...], registries: {server: [...]}}.

agents := object.get(cfg, "agents", {})

access_mode := object.get(cfg, "tool_access_mode", default_mode)

listed(entry, t) if t.tool in object.get(entry, "tools", [])

listed(entry, t) if t.tool in object.get(entry, ["registries", t.server], [])

violations contains v(
	"tool_not_allowed", sprintf("agent %s may not call tool %s", [agent, call.tool]),
	"deny", access_mode, 403, 4,
) if {
	some call in tool_calls
	entry := agents[agent]
	object.get(entry, "mode", "allowlist") == "allowlist"
	not listed(entry, tool_name(call))
}

violations contains v(
	"tool_denied", sprintf("agent %s may not call tool %s", [agent, call.tool]),
	"deny", access_mode, 403, 4,
) if {
	some call in tool_calls
	entry := agents[agent]
	entry.mode == "denylist"
	listed(entry, tool_name(call))
}

violations contains v("agent_unknown", "the calling agent is not known to this policy", "deny", access_mode, 403, 4) if {
	count(tool_calls) > 0
	count(agents) > 0
	object.get(cfg, "unknown_agents", "allow") == "deny"
	not agents[agent]
}

# ---------------------------------------------------------------------------------------------------------
# Tool policies: tool_policies[] = {name, mode, tools?, registry?, required_claims[], rules[], headers[]}.

tool_policies := object.get(cfg, "tool_policies", [])

arg(call, name) := object.get(object.get(call, "arguments", {}), name, null)

# Numeric cap: {name, max: {argument, value}, message}.
violations contains v(r.name, r.message, "deny", mode_of(p), 403, 5) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some r in object.get(p, "rules", [])
	x := arg(call, r.max.argument)
	is_number(x)
	x > r.max.value
}

# A cap on a non-number is a violation too: "500" or "1e9" strings must not slip through.
violations contains v(r.name, r.message, "deny", mode_of(p), 403, 5) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some r in object.get(p, "rules", [])
	x := arg(call, r.max.argument)
	x != null
	not is_number(x)
}

# Required non-empty argument: {name, required: argument, message}.
violations contains v(r.name, r.message, "deny", mode_of(p), 403, 5) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some r in object.get(p, "rules", [])
	r.required
	empty(arg(call, r.required))
}

empty(null)

empty(x) if x == ""

empty(x) if {
	is_string(x)
	trim_space(x) == ""
}

empty(x) if x == []

empty(x) if x == {}

# Threshold needing approval: {name, approval_above: {argument, value}, message}.
violations contains v(r.name, r.message, "require_approval", mode_of(p), 403, 6) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some r in object.get(p, "rules", [])
	x := arg(call, r.approval_above.argument)
	is_number(x)
	x > r.approval_above.value
}

# Required identity claims: {claim, message}. Without a verified token the answer is 401 with a challenge.
violations contains object.union(v(sprintf("required_claim:%s", [c.claim]), c.message, "deny", mode_of(p), claim_status, 5), {"oauth_error": claim_oauth_error}) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some c in object.get(p, "required_claims", [])
	empty(object.get(claims, split(c.claim, "."), null))
}

# Required OAuth scopes: tool_policies[].required_scopes. 403 insufficient_scope with a verified token, else 401.
violations contains object.union(
	v("required_scope", sprintf("tool %s requires the scopes %s", [call.tool, concat(" ", sort(missing))]), "deny", mode_of(p), claim_status, 5),
	{"oauth_error": claim_oauth_error, "scope": concat(" ", sort(missing))},
) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	missing := {sc | some sc in object.get(p, "required_scopes", [])} - {sc | some sc in object.get(identity, "scopes", [])}
	count(missing) > 0
}

claim_status := 403 if identity.verified == true

claim_status := 401 if not identity.verified == true

claim_oauth_error := "insufficient_scope" if identity.verified == true

claim_oauth_error := "invalid_token" if not identity.verified == true

# ---------------------------------------------------------------------------------------------------------
# PII and secrets: pii[] = {name, types[], action: deny|require_approval, tools?, registry?, except_roles?, mode}.

violations contains v(
	object.get(p, "name", "pii_detected"),
	object.get(p, "message", sprintf("tool %s arguments contain %s (%s)", [call.tool, f.type, f.path])),
	object.get(p, "action", "deny"), mode_of(p), 403, 5,
) if {
	some p in object.get(cfg, "pii", [])
	some call in tool_calls
	selects(p, call)
	some f in object.get(call, "findings", [])
	f.type in p.types
	count(roles & {r | some r in object.get(p, "except_roles", [])}) == 0
}

# ---------------------------------------------------------------------------------------------------------
# Roles: roles.tools.<tool> = {roles: [...], restricted: {argument, values: [...], roles: [...]}}.

role_cfg := object.get(cfg, "roles", {})

violations contains v(
	"role_not_allowed", sprintf("tool %s requires one of the roles %s", [call.tool, concat(", ", spec.roles)]),
	"deny", mode_of(role_cfg), 403, 4,
) if {
	some call in tool_calls
	spec := object.get(role_cfg, "tools", {})[tool_name(call).tool]
	count(roles & {r | some r in spec.roles}) == 0
}

violations contains v(
	"restricted_fields", sprintf("fields %s of tool %s require one of the roles %s", [concat(", ", sort(asked)), call.tool, concat(", ", spec.restricted.roles)]),
	"deny", mode_of(role_cfg), 403, 4,
) if {
	some call in tool_calls
	spec := object.get(role_cfg, "tools", {})[tool_name(call).tool]
	asked := requested(arg(call, spec.restricted.argument)) & {f | some f in spec.restricted.values}
	count(asked) > 0
	count(roles & {r | some r in spec.restricted.roles}) == 0
}

# A fields argument may be a list of names, an object of flags, or one name.
requested(x) := {f | some f in x} if is_array(x)

requested(x) := {k | some k, val in x; val != false} if is_object(x)

requested(x) := {x} if is_string(x)

requested(null) := set()

# ---------------------------------------------------------------------------------------------------------
# Business hours: business_hours[] = {name, timezone, days: [Monday..], start_hour, end_hour, tools?, mode}.
# Uses input.now (the check time to the minute) so the policy stays deterministic and cacheable.

violations contains v(
	object.get(b, "name", "outside_business_hours"),
	object.get(b, "message", sprintf("tool %s may only be called %s %02d:00-%02d:00 %s", [call.tool, concat(",", b.days), b.start_hour, b.end_hour, b.timezone])),
	"deny", mode_of(b), 403, 7,
) if {
	some b in object.get(cfg, "business_hours", [])
	some call in tool_calls
	selects(b, call)
	not within_hours(b)
}

within_hours(b) if {
	at := [input.now.unix_ns, b.timezone]
	time.weekday(at) in b.days
	hour := time.clock(at)[0]
	hour >= b.start_hour
	hour < b.end_hour
}

# ---------------------------------------------------------------------------------------------------------
# Headers injected on allow: claim_headers[] = {claim, header} and tool_policies[].headers[] =
# {header, value} or {header, claim}. Every header the pack may inject is in managed_headers: removed from the
# request unless set here, so a client can never forge one.

claim_value(path) := sanitize(concat(",", [format(x) | some x in val])) if {
	val := object.get(claims, split(path, "."), null)
	is_array(val)
}

claim_value(path) := sanitize(format(val)) if {
	val := object.get(claims, split(path, "."), null)
	not is_array(val)
	not is_object(val)
	val != null
}

format(x) := x if is_string(x)

format(x) := json.marshal(x) if not is_string(x)

# Header values from claims: control characters (CR, LF, NUL, …) removed, at most header_value_max_length bytes.
header_value_max_length := object.get(cfg, "header_value_max_length", 256)

sanitize(s) := substring(clean, 0, header_value_max_length) if {
	clean := regex.replace(s, `[\x00-\x1f\x7f]`, "")
}

header_specs contains {"header": lower(h.header), "claim": h.claim} if some h in object.get(cfg, "claim_headers", [])

header_specs contains object.union(h, {"header": lower(h.header)}) if {
	some p in tool_policies
	some call in tool_calls
	selects(p, call)
	some h in object.get(p, "headers", [])
}

managed_headers contains "x-mcp-authz-decision"

managed_headers contains lower(h.header) if some h in object.get(cfg, "claim_headers", [])

managed_headers contains lower(h.header) if {
	some p in tool_policies
	some h in object.get(p, "headers", [])
}

injected_headers := object.union({"x-mcp-authz-decision": "allow"}, {h.header: val |
	some h in header_specs
	val := header_value(h)
})

header_value(h) := h.value if is_string(h.value)

header_value(h) := claim_value(h.claim) if {
	not h.value
	h.claim
}
