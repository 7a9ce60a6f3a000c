// The fuzzer's Node decoders (bench/fuzz.mjs, docs/input.md "Testing"): how a TypeScript MCP server reads a body,
// by running the code such servers run, in process, on the body's bytes and headers:
//   - `express`: express.json() (body-parser, with its charset handling through iconv-lite), as an Express MCP
//     server mounts it before its handler;
//   - `sse`: the MCP TypeScript SDK's SSEServerTransport.handlePostMessage (content-type, then raw-body decoding
//     with the declared charset, then JSON.parse and the SDK's message schema);
//   - `streamable`: the SDK's Streamable HTTP transport (WebStandardStreamableHTTPServerTransport.handleRequest,
//     stateless), which Node's StreamableHTTPServerTransport wraps.
// Each answers a reading {ok: true, batch, messages: [{method, name, params, arguments}]} with what the transport
// would hand the server, or {ok: false, error} when it refuses the body (then it executes nothing).
import { Readable } from 'node:stream';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import express from 'express';

const json = express.json();

/** A Node request as the transports read it: a stream of the bytes, with headers. */
function incoming(bytes, headers) {
  const req = Readable.from([bytes]);
  req.headers = { ...headers, 'content-length': String(bytes.length) };
  req.method = 'POST';
  req.url = '/mcp';
  return req;
}

/** Just enough of a ServerResponse for the transports to answer into. */
function response() {
  const res = {
    statusCode: 200,
    headersSent: false,
    writeHead(status) {
      res.statusCode = status;
      return res;
    },
    write: () => true,
    end: () => res,
    on: () => res,
    once: () => res,
    setHeader: () => undefined,
    getHeader: () => undefined,
    flushHeaders: () => undefined,
  };
  return res;
}

function summary(m) {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return { not_object: true };
  const out = { method: m.method ?? null, params: m.params ?? null };
  if (m.method === 'tools/call' && m.params && typeof m.params === 'object') {
    out.name = m.params.name ?? null;
    out.arguments = m.params.arguments ?? null;
  }
  return out;
}

const reading = (value) => {
  const batch = Array.isArray(value);
  return { ok: true, batch, messages: (batch ? value : [value]).map(summary) };
};

function viaExpress(bytes, headers) {
  const req = incoming(bytes, headers);
  return new Promise((resolve) =>
    json(req, response(), (err) => {
      if (err) resolve({ ok: false, error: err.message });
      else if (req.body === undefined) resolve({ ok: false, error: 'express.json() does not read this content type' });
      else resolve(reading(req.body));
    }),
  );
}

async function viaSse(bytes, headers) {
  const transport = new SSEServerTransport('/messages', response());
  await transport.start();
  const got = [];
  transport.onmessage = (m) => got.push(m);
  const res = response();
  await transport.handlePostMessage(incoming(bytes, headers), res);
  return res.statusCode === 202 && got.length === 1 ? reading(got[0]) : { ok: false, error: `answered ${res.statusCode}` };
}

async function viaStreamable(bytes, headers) {
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await transport.start();
  const got = [];
  transport.onmessage = (m) => got.push(m);
  let request;
  try {
    request = new Request('http://mcp/mcp', { method: 'POST', headers: { accept: 'application/json, text/event-stream', ...headers }, body: bytes });
  } catch (e) {
    // A header value that is not a byte string (a code point above U+00FF) cannot be sent to this transport at all.
    return { ok: false, error: `no such HTTP request: ${e.message}` };
  }
  const res = await transport.handleRequest(request);
  await transport.close();
  if (got.length === 0) return { ok: false, error: `answered ${res.status}` };
  // A batch is handed over message by message: rebuild its shape from the body's first byte, as the transport did.
  const batch = /^[\s]*\[/.test(new TextDecoder().decode(bytes.subarray(0, 64)));
  return batch ? reading(got) : reading(got[0]);
}

/** Every Node reading of one body: {express, sse, streamable}. */
export async function readWithNode(bytes, headers) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const [expressReading, sse, streamable] = await Promise.all([viaExpress(bytes, lower), viaSse(bytes, lower), viaStreamable(bytes, lower)]);
  return { express: expressReading, sse, streamable };
}
