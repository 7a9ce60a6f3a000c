# Headers injected on allow, and the list of every header the pack may inject (managed_headers).
#
# Sources: claim_headers[] = {claim, header} on every allowed request, and tool_policies[].headers[] =
# {header, value} (static) | {header, claim} | {header, identity} (a path in input.identity, e.g. "agent",
# "user.sub", "workload.namespace") on the calls the policy selects. Every header in managed_headers that the
# decision does not set is removed from the upstream request (request_headers_to_remove), so a client can never
# forge one. The server can also strip them itself: configure headers.managed with data.mcp.authz.managed_headers.
package mcp.authz

import rego.v1

# Header values from claims and identity: control characters (CR, LF, NUL, ...) removed, at most
# header_value_max_length bytes, arrays joined with ",".
header_value_max_length := object.get(cfg, "header_value_max_length", 256)

header_specs contains {"header": lower(h.header), "claim": h.claim} if some h in object.get(cfg, "claim_headers", [])

header_specs contains object.union(h, {"header": lower(h.header)}) if {
	some pc in policy_calls
	some h in object.get(pc[1], "headers", [])
}

managed_headers contains "x-mcp-authz-decision"

managed_headers contains lower(h.header) if some h in object.get(cfg, "claim_headers", [])

managed_headers contains lower(h.header) if {
	some p in tool_policies
	some h in object.get(p, "headers", [])
}

# When two sources set the same header (e.g. two policies in a batch), the smallest value wins: deterministic.
injected_headers := object.union({"x-mcp-authz-decision": "allow"}, {name: vals[0] |
	some name in {h.header | some h in header_specs}
	vals := sort({val | some h in header_specs; h.header == name; val := header_value(h)})
	count(vals) > 0
})

header_value(h) := h.value if is_string(h.value)

header_value(h) := scalar_header(object.get(claims, split(h.claim, "."), null)) if {
	not h.value
	h.claim
}

header_value(h) := scalar_header(object.get(identity, split(h.identity, "."), null)) if {
	not h.value
	not h.claim
	h.identity
}

# Arrays: their scalar elements joined with ","; an element that itself contains "," is left out (the receiver
# could not tell it from two elements), and so are elements that would not fit whole. Objects and null: no header.
scalar_header(val) := concat(",", kept) if {
	is_array(val)
	parts := [c | some x in val; is_scalar(x); t := text_of(x); not contains(t, ","); c := clean(t); c != ""]
	kept := [p | some i, p in parts; count(concat(",", array.slice(parts, 0, i + 1))) <= header_value_max_length]
	count(kept) > 0
}

scalar_header(val) := v if {
	is_scalar(val)
	v := trim_space(substring(clean(text_of(val)), 0, header_value_max_length))
	v != ""
}

is_scalar(x) if is_string(x)

is_scalar(x) if is_number(x)

is_scalar(x) if is_boolean(x)

text_of(x) := x if is_string(x)

text_of(x) := json.marshal(x) if not is_string(x)

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators are removed (not replaced); then trimmed.
# (Written with Rego escapes, so the pattern holds the characters themselves: the same for RE2 and the host.)
clean(s) := trim_space(regex.replace(s, "[\u0000-\u001f\u007f-\u009f\u2028\u2029]", ""))
