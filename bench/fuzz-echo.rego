# The fuzzer's entrypoint (bench/fuzz.mjs): the guardrails pack's own decision, plus what the server told the
# policy about each message, echoed in dynamic_metadata.fuzz_seen so the fuzzer's oracle can compare it with how
# other decoders read the body. Never use it to serve.
package fuzz

import rego.v1

import data.mcp.authz

decision := object.union(authz.decision, {"dynamic_metadata": object.union(
	object.get(authz.decision, "dynamic_metadata", {}),
	{"fuzz_seen": seen},
)})

seen := {"is_batch": object.get(input.mcp, "is_batch", false), "messages": [summary(m) | some m in messages]}

default messages := []

messages := input.mcp.batch if input.mcp.is_batch

messages := [input.mcp] if not input.mcp.is_batch

# As JSON text: dynamic_metadata is a protobuf Struct, whose nesting Envoy and the server's validation bound.
summary(m) := json.marshal({
	"method": object.get(m, "method", null),
	"id": object.get(m, "id", null),
	"params": object.get(m, "params", null),
	"tool": object.get(m, "tool", null),
	"arguments": object.get(m, "arguments", null),
	"uri": object.get(m, "uri", null),
	"is_response": object.get(m, "is_response", false),
	"documents": object.get(m, "documents", []),
})
