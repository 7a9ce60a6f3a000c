// The fuzzer's Go decoders (bench/fuzz.mjs, docs/input.md "Testing"): how a Go MCP server reads a body and the
// documents inside it, with nothing but the standard library. It reads frames from stdin — one byte of kind
// ('m' a request body, 'd' a document string), a 4-byte big-endian length, the bytes — and writes one JSON line
// per frame to stdout:
//
//   - 'm': encoding/json's json.Unmarshal and a streaming json.Decoder (which reads the first value and leaves
//     any trailing data), each into the structs a Go MCP server declares (fields matched case-insensitively, as
//     encoding/json does): {"unmarshal": reading, "decoder": reading}, a reading being {"ok": true, "batch":
//     bool, "messages": [{"method", "name", "params", "arguments"}]} or {"ok": false, "error": "..."};
//   - 'd': the string as a JSON document (json.Unmarshal into any, and json.Decoder's first value plus whether
//     data trails it) and as a form (url.ParseQuery).
//
// Built by bench/fuzz-decoders.mjs with the machine's Go; never re-implements what the standard library does.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/url"
	"os"
)

// message is the JSON-RPC envelope as Go MCP servers declare it.
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      any             `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// callParams is tools/call's params as Go MCP servers declare them.
type callParams struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

type reading struct {
	OK       bool             `json:"ok"`
	Error    string           `json:"error,omitempty"`
	Batch    bool             `json:"batch,omitempty"`
	Messages []map[string]any `json:"messages,omitempty"`
}

// raw decodes a json.RawMessage into any (nil when absent); an error when it does not decode.
func raw(r json.RawMessage) (any, error) {
	if len(r) == 0 {
		return nil, nil
	}
	var v any
	err := json.Unmarshal(r, &v)
	return v, err
}

func summarize(m message) (map[string]any, error) {
	params, err := raw(m.Params)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"method": m.Method, "params": params}
	if m.Method == "tools/call" && len(m.Params) > 0 {
		var p callParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return nil, err
		}
		args, err := raw(p.Arguments)
		if err != nil {
			return nil, err
		}
		out["name"] = p.Name
		out["arguments"] = args
	}
	return out, nil
}

// readBody reads a body with one decode function (Unmarshal, or a Decoder's first value).
func readBody(body []byte, decode func(v any) error) reading {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var list []message
	batch := len(trimmed) > 0 && trimmed[0] == '['
	if batch {
		if err := decode(&list); err != nil {
			return reading{Error: err.Error()}
		}
	} else {
		var m message
		if err := decode(&m); err != nil {
			return reading{Error: err.Error()}
		}
		list = []message{m}
	}
	r := reading{OK: true, Batch: batch, Messages: []map[string]any{}}
	for _, m := range list {
		s, err := summarize(m)
		if err != nil {
			return reading{Error: err.Error()}
		}
		r.Messages = append(r.Messages, s)
	}
	return r
}

func readMessage(body []byte) map[string]any {
	return map[string]any{
		"unmarshal": readBody(body, func(v any) error { return json.Unmarshal(body, v) }),
		"decoder":   readBody(body, func(v any) error { return json.NewDecoder(bytes.NewReader(body)).Decode(v) }),
	}
}

func readDocument(s []byte) map[string]any {
	out := map[string]any{}
	var v any
	if err := json.Unmarshal(s, &v); err != nil {
		out["unmarshal"] = map[string]any{"ok": false, "error": err.Error()}
	} else {
		out["unmarshal"] = map[string]any{"ok": true, "value": v}
	}
	dec := json.NewDecoder(bytes.NewReader(s))
	var first any
	if err := dec.Decode(&first); err != nil {
		out["decoder"] = map[string]any{"ok": false, "error": err.Error()}
	} else {
		trailing := len(bytes.TrimLeft(s[dec.InputOffset():], " \t\r\n")) > 0
		out["decoder"] = map[string]any{"ok": true, "value": first, "trailing": trailing}
	}
	q, err := url.ParseQuery(string(s))
	form := map[string]any{"ok": err == nil, "value": q}
	if err != nil {
		form["error"] = err.Error()
	}
	out["parse_query"] = form
	return out
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	enc := json.NewEncoder(out)
	head := make([]byte, 5)
	for {
		if _, err := io.ReadFull(in, head); err != nil {
			out.Flush()
			return
		}
		buf := make([]byte, binary.BigEndian.Uint32(head[1:]))
		if _, err := io.ReadFull(in, buf); err != nil {
			out.Flush()
			os.Exit(2)
		}
		var res map[string]any
		if head[0] == 'd' {
			res = readDocument(buf)
		} else {
			res = readMessage(buf)
		}
		if err := enc.Encode(res); err != nil {
			enc.Encode(map[string]any{"error": err.Error()})
		}
		if in.Buffered() == 0 {
			out.Flush()
		}
	}
}
