# What a tool call carries: argument rules, required claims and scopes, PII and secrets, business hours.
package mcp.authz

import rego.v1

# An argument by name; dots reach into objects ("body.amount"). null when absent. Keys are matched as a Go
# upstream decodes them: exactly, else case-insensitively ("AMOUNT" is amount to encoding/json; the server refuses
# bodies where two keys fold together, so there is at most one match).
arg(call, name) := lookup(object.get(call, "arguments", {}), split(name, "."))

lookup(x, p) := member(x, p[0]) if count(p) == 1

lookup(x, p) := member(member(x, p[0]), p[1]) if count(p) == 2

lookup(x, p) := member(member(member(x, p[0]), p[1]), p[2]) if count(p) == 3

lookup(x, p) := member(member(member(member(x, p[0]), p[1]), p[2]), p[3]) if count(p) == 4

lookup(x, p) := member(member(member(member(member(x, p[0]), p[1]), p[2]), p[3]), p[4]) if count(p) == 5

# Deeper names: exact keys only.
lookup(x, p) := object.get(x, p, null) if count(p) > 5

member(x, k) := x[k] if is_object(x)

else := v if {
	is_object(x)
	some key, v in x
	fold(key) == fold(k)
} else := null

fold(s) := lower(upper(s))

# Every value a rule about `name` must judge: the argument itself, and the same member inside any JSON or form
# document carried by an argument on the way ("body.amount" reaches into a `body` string holding
# {"amount": …} or amount=…&…). Numbers in a form are strings: a decimal one is compared as a number.
arg_values(call, name) := [x | some x in array.concat([arg(call, name)], doc_values(call, split(name, ".")))]

doc_values(call, segs) := [val |
	some d in object.get(call, "documents", [])
	d.value != null
	some i in numbers.range(1, count(segs) - 1)
	fold(d.path) == fold(concat(".", array.slice(segs, 0, i)))
	raw := lookup(d.value, array.slice(segs, i, count(segs)))
	val := form_value(d, raw)
]

form_value(d, x) := to_number(x) if {
	d.format == "form"
	is_string(x)
	regex.match(`^-?[0-9]{1,15}(\.[0-9]{1,15})?$`, x)
} else := x

empty(null)

# Blank and present, defined positively (issue 19). A blank character is Unicode White_Space, a control (Cc), or a
# Default_Ignorable_Code_Point (every one of its ranges, unassigned code points included: zero-width spaces and
# joiners, BOM, soft hyphen, bidi controls, Hangul fillers, variation selectors VS1-VS256, tags). A string is
# present when, its blank characters removed, it holds at least one letter or digit (L or N): "\u200b", "\u000b",
# "\u001c" or "VS17" alone are not a reason. (The server does not NFKC-fold for this; without it a string is
# present less often, never more: "™" alone is not a reason.)
blank_class := `[\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\p{Cc}\x{AD}\x{34F}\x{61C}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180F}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{206F}\x{3164}\x{FE00}-\x{FE0F}\x{FEFF}\x{FFA0}\x{FFF0}-\x{FFF8}\x{1BCA0}-\x{1BCA3}\x{1D173}-\x{1D17A}\x{E0000}-\x{E0FFF}]`

present(x) if {
	is_string(x)
	regex.match(`[\p{L}\p{N}]`, regex.replace(x, blank_class, ""))
}

empty(x) if {
	is_string(x)
	not present(x)
}

# The text without blank characters at either end (the trim rules and examples use; wider than Python's str.strip,
# which leaves U+200B and keeps nothing Python strips).
trim_blank(s) := regex.replace(s, sprintf("^%s+|%s+$", [blank_class, blank_class]), "")

# The text without any blank, format (Cf) or separator (Z) character anywhere: what two values are compared on.
visible(s) := regex.replace(regex.replace(s, blank_class, ""), `[\p{Cf}\p{Z}]`, "")

empty(x) if x == []

empty(x) if x == {}

# ---------------------------------------------------------------------------------------------------------
# Tool policies: tool_policies[] = {name, mode?, tools?, registry?, required_claims?, required_scopes?, rules?,
# headers?}. A rule has a name, a message, an optional action (deny | require_approval) and exactly one of:
#   max: {argument, value}            the argument must be a number <= value
#   min: {argument, value}            the argument must be a number >= value
#   approval_above: {argument, value} above value needs approval (action defaults to require_approval)
#   required: argument                the argument must be present and non-empty
#   one_of: {argument, values}        when present, the argument must be one of values (exact)
#   none_of: {argument, values}       the argument must not be one of values (strings case-insensitively)
# A numeric condition on something that is not a number ("500", "1e9") matches too: it cannot be checked.

tool_policies := object.get(cfg, "tool_policies", [])

# Every (call, policy) pair where the policy selects the call.
policy_calls := [[call, p] |
	some i, call in tool_calls
	some p in tool_policies
	selects(p, call_names[i])
]

policy_rules := [[call, p, r] |
	some pc in policy_calls
	some r in object.get(pc[1], "rules", [])
	call := pc[0]
	p := pc[1]
]

rule_violation(p, r, default_action) := object.union(
	v(r.name, r.message, action, mode_of(p), 403, action_priority[action]),
	{"policy": p.name},
) if {
	action := object.get(r, "action", default_action)
}

action_priority := {"deny": 5, "require_approval": 6}

violations contains rule_violation(p, r, "deny") if {
	some [call, p, r] in policy_rules
	r.max
	some x in arg_values(call, r.max.argument)
	x != null
	not number_at_most(x, r.max.value)
}

violations contains rule_violation(p, r, "deny") if {
	some [call, p, r] in policy_rules
	r.min
	some x in arg_values(call, r.min.argument)
	x != null
	not number_at_least(x, r.min.value)
}

violations contains rule_violation(p, r, "require_approval") if {
	some [call, p, r] in policy_rules
	r.approval_above
	some x in arg_values(call, r.approval_above.argument)
	x != null
	not number_at_most(x, r.approval_above.value)
}

violations contains rule_violation(p, r, "deny") if {
	some [call, p, r] in policy_rules
	r.required
	every x in arg_values(call, r.required) {
		empty(x)
	}
}

violations contains rule_violation(p, r, "deny") if {
	some [call, p, r] in policy_rules
	r.one_of
	some x in arg_values(call, r.one_of.argument)
	x != null
	not x in r.one_of.values
}

violations contains rule_violation(p, r, "deny") if {
	some [call, p, r] in policy_rules
	r.none_of
	some x in arg_values(call, r.none_of.argument)
	some forbidden in r.none_of.values
	same_value(x, forbidden)
}

number_at_most(x, limit) if {
	is_number(x)
	x <= limit
}

number_at_least(x, limit) if {
	is_number(x)
	x >= limit
}

same_value(x, y) if x == y

same_value(x, y) if {
	is_string(x)
	is_string(y)
	lower(visible(x)) == lower(visible(y))
}

# ---------------------------------------------------------------------------------------------------------
# Required identity claims: required_claims[] = {claim, message, values?} (dots reach into objects). Without a
# verified token the answer is 401 with a challenge; with one, 403.

violations contains object.union(
	v(sprintf("required_claim:%s", [c.claim]), c.message, "deny", mode_of(p), claim_status, 5),
	{"oauth_error": claim_oauth_error, "policy": p.name},
) if {
	some pc in policy_calls
	p := pc[1]
	some c in object.get(p, "required_claims", [])
	not claim_satisfied(c)
}

claim_satisfied(c) if {
	val := object.get(claims, split(c.claim, "."), null)
	not empty(val)
	claim_value_allowed(val, c)
}

claim_value_allowed(_, c) if not c.values

claim_value_allowed(val, c) if val in c.values

claim_value_allowed(val, c) if {
	is_array(val)
	some x in val
	x in c.values
}

# Required OAuth scopes: tool_policies[].required_scopes. 403 insufficient_scope with a verified token, else 401.
violations contains object.union(
	v("required_scope", sprintf("tool %s requires the scopes %s", [call.tool, concat(" ", sort(missing))]), "deny", mode_of(p), claim_status, 5),
	{"oauth_error": claim_oauth_error, "scope": concat(" ", sort(missing)), "policy": p.name},
) if {
	some pc in policy_calls
	call := pc[0]
	p := pc[1]
	missing := {sc | some sc in object.get(p, "required_scopes", [])} - {sc | some sc in object.get(identity, "scopes", [])}
	count(missing) > 0
}

claim_status := 403 if identity.verified == true

claim_status := 401 if not identity.verified == true

claim_oauth_error := "insufficient_scope" if identity.verified == true

claim_oauth_error := "invalid_token" if not identity.verified == true

# ---------------------------------------------------------------------------------------------------------
# PII and secrets: pii[] = {name?, types[], action?: deny | require_approval, tools?, registry?, except_roles?,
# mode?, message?}, on the server's findings (input.mcp.findings: [{type, path}]).

violations contains object.union(
	v(
		object.get(p, "name", "pii_detected"),
		object.get(p, "message", sprintf("tool %s arguments contain %s (%s)", [call.tool, f.type, f.path])),
		action, mode_of(p), 403, action_priority[action],
	),
	{"policy": object.get(p, "name", "pii")},
) if {
	some p in object.get(cfg, "pii", [])
	action := object.get(p, "action", "deny")
	some i, call in tool_calls
	selects(p, call_names[i])
	some f in object.get(call, "findings", [])
	f.type in p.types
	count(roles & {r | some r in object.get(p, "except_roles", [])}) == 0
}

# ---------------------------------------------------------------------------------------------------------
# Business hours: business_hours[] = {name?, timezone, days: [Monday ...], start_hour, end_hour, tools?,
# registry?, mode?, message?}. Uses input.now.unix_ns (the check time, which the server truncates to the minute)
# so the policy stays deterministic and cacheable; without input.now every selected call is outside hours.

violations contains object.union(
	v(
		object.get(b, "name", "outside_business_hours"),
		object.get(b, "message", sprintf("tool %s may only be called %s %02d:00-%02d:00 %s", [call.tool, day_span(b.days), b.start_hour, b.end_hour, b.timezone])),
		"deny", mode_of(b), 403, 7,
	),
	{"policy": object.get(b, "name", "business_hours")},
) if {
	some b in object.get(cfg, "business_hours", [])
	some i, call in tool_calls
	selects(b, call_names[i])
	not within_hours(b)
}

# Days as people write them: a run of consecutive weekdays as "Monday–Friday", anything else as "Monday, Wednesday"
# (in week order).
week := ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

day_indexes(days) := sort([i | some i, d in week; d in days])

day_span(days) := sprintf("%s–%s", [week[idx[0]], week[idx[count(idx) - 1]]]) if {
	idx := day_indexes(days)
	count(idx) > 2
	idx[count(idx) - 1] - idx[0] == count(idx) - 1
}

day_span(days) := concat(", ", [week[i] | some i in day_indexes(days)]) if {
	idx := day_indexes(days)
	not count(idx) > 2
}

day_span(days) := concat(", ", [week[i] | some i in day_indexes(days)]) if {
	idx := day_indexes(days)
	count(idx) > 2
	idx[count(idx) - 1] - idx[0] != count(idx) - 1
}

within_hours(b) if {
	at := [input.now.unix_ns, b.timezone]
	time.weekday(at) in b.days
	hour := time.clock(at)[0]
	hour >= b.start_hour
	hour < b.end_hour
}
