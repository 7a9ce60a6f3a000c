"""The fuzzer's Python decoders (bench/fuzz.mjs, docs/input.md "Testing"): how a Python MCP server reads a body
and the documents inside it, with nothing but the standard library.

Frames on stdin: one byte of kind (b"m" a request body, b"d" a document string), a 4-byte big-endian length, the
bytes. One JSON line per frame on stdout:

- "m": json.loads on the body's bytes (it detects UTF-8/16/32 and a UTF-8 BOM itself; duplicate keys: the last
  wins; NaN, Infinity and -Infinity are numbers): {"loads": reading}, a reading being {"ok": true, "batch": bool,
  "messages": [{"method", "name", "params", "arguments"}]} or {"ok": false, "error": "..."};
- "d": the string (UTF-8, lone surrogates passed through) read by json.loads, by json.loads after str.strip, by
  urllib.parse.parse_qs (with and without keep_blank_values), and str.strip itself.

Values that JSON cannot carry are tagged: a non-finite float as {"$float": "nan" | "inf" | "-inf"}.
"""

import json
import math
import struct
import sys
from urllib.parse import parse_qs


def tag(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    if isinstance(v, dict):
        return {k: tag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tag(x) for x in v]
    return v


def summarize(m):
    if not isinstance(m, dict):
        return {"not_object": True}
    params = m.get("params")
    out = {"method": m.get("method"), "params": params}
    if m.get("method") == "tools/call" and isinstance(params, dict):
        out["name"] = params.get("name")
        out["arguments"] = params.get("arguments")
    return out


def read_message(body):
    try:
        v = json.loads(body)
    except (ValueError, RecursionError) as e:
        return {"loads": {"ok": False, "error": str(e)}}
    batch = isinstance(v, list)
    messages = [summarize(m) for m in (v if batch else [v])]
    return {"loads": {"ok": True, "batch": batch, "messages": messages}}


def loads(s):
    try:
        return {"ok": True, "value": json.loads(s)}
    except (ValueError, RecursionError) as e:
        return {"ok": False, "error": str(e)}


def read_document(raw):
    s = raw.decode("utf-8", "surrogatepass")
    return {
        "loads": loads(s),
        "strip_loads": loads(s.strip()),
        "parse_qs": parse_qs(s),
        "parse_qs_blank": parse_qs(s, keep_blank_values=True),
        "strip": s.strip(),
    }


def main():
    src = sys.stdin.buffer
    out = sys.stdout
    while True:
        head = src.read(5)
        if len(head) < 5:
            return
        (n,) = struct.unpack(">I", head[1:])
        buf = src.read(n)
        res = read_document(buf) if head[:1] == b"d" else read_message(buf)
        out.write(json.dumps(tag(res), ensure_ascii=True))
        out.write("\n")
        out.flush()


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
