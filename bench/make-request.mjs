// Writes bench/request.json: a realistic tools/call CheckRequest of about 2 KB (headers plus body), in the
// protojson form ghz and grpcurl take. Deterministic: the same file every time.
import { writeFileSync } from 'node:fs';

const args = {
  url: 'https://httpbin.org/get',
  method: 'GET',
  headers: { accept: 'application/json', 'user-agent': 'agent-runtime/1.4' },
  query: { city: 'Paris', units: 'metric', lang: 'en', fields: ['temp', 'wind', 'humidity', 'pressure'] },
  note: 'Fetch the current weather for the customer itinerary and summarise it in two sentences.'.repeat(3),
};
const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 42,
  method: 'tools/call',
  params: { name: 'fetch_url', arguments: args, _meta: { progressToken: 'p-42' } },
});
const headers = {
  ':authority': 'mcp-gateway-istio.gateway-system.svc.cluster.local:8080',
  ':method': 'POST',
  ':path': '/mcp',
  ':scheme': 'http',
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  'mcp-session-id': '5f0e7c1a-8d2b-4c1e-9f3a-2b7d6e4c8a10',
  'mcp-protocol-version': '2025-06-18',
  'user-agent': 'python-httpx/0.27.0',
  'x-forwarded-proto': 'http',
  'x-request-id': '8a1b9c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-sampled': '1',
  traceparent: '00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01',
  'x-envoy-attempt-count': '1',
  'x-forwarded-client-cert':
    'By=spiffe://cluster.local/ns/gateway-system/sa/mcp-gateway;Hash=4c2d6f0e1b3a5c7d9e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d;Subject="";URI=spiffe://cluster.local/ns/agents/sa/support-agent',
};
const request = {
  attributes: {
    source: {
      address: { socketAddress: { address: '10.244.1.17', portValue: 48122 } },
      principal: 'spiffe://cluster.local/ns/agents/sa/support-agent',
    },
    destination: {
      address: { socketAddress: { address: '10.244.2.9', portValue: 8080 } },
      principal: 'spiffe://cluster.local/ns/gateway-system/sa/mcp-gateway',
    },
    request: {
      time: '2026-11-22T10:00:00Z',
      http: {
        id: '7433617387390386455',
        method: 'POST',
        headers,
        path: '/mcp',
        host: 'mcp-gateway-istio.gateway-system.svc.cluster.local:8080',
        scheme: 'http',
        protocol: 'HTTP/1.1',
        size: String(Buffer.byteLength(body)),
        body,
      },
    },
  },
};
const text = JSON.stringify(request);
writeFileSync(new URL('./request.json', import.meta.url), `${text}\n`);
console.log(`bench/request.json: ${Buffer.byteLength(text)} bytes (body ${Buffer.byteLength(body)})`);
