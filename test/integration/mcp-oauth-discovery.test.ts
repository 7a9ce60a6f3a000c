import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpStatus } from '../helpers/grpc-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The MCP authorization flow's first step, end to end with the MCP TypeScript SDK's own client: a tool call that
 * needs a token gets mcp-authz's 401 with `WWW-Authenticate: Bearer … resource_metadata="…"` (RFC 9728), and the
 * SDK reads it, fetches the protected resource metadata, finds the authorization server and starts its OAuth flow
 * (authorization code with PKCE and the RFC 8707 resource).
 *
 * Envoy cannot run here, so a small HTTP gateway plays its ext_authz part, as Envoy's HTTP filter does: each request
 * is sent to mcp-authz's real gRPC Check (method, path, headers, body); a denial is answered with the denied
 * response's status, headers and body; an allow goes on to a real SDK MCP server (Streamable HTTP, stateless).
 * The protected resource metadata path is exempt from the check, as docs/identity.md says to configure it.
 */
let authz: TestServer;
let gateway: Server;
let origin: string;
let dir: string;
const seen: string[] = [];

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'files', version: '1.0.0' });
  server.registerTool('write_file', { inputSchema: { path: z.string(), content: z.string() } }, async ({ path }) => ({
    content: [{ type: 'text', text: `wrote ${path}` }],
  }));
  return server;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '/';
  seen.push(`${req.method} ${path}`);
  const json = (doc: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  };
  // Exempt from the CUSTOM AuthorizationPolicy: discovery documents.
  if (path === '/discovery/mcp-resource.json') return json({ resource: `${origin}/mcp`, authorization_servers: [origin] });
  if (path === '/.well-known/oauth-authorization-server') {
    return json({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
    });
  }
  const body = await readBody(req);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const answer = await authz.client.check({
    attributes: { request: { http: { method: req.method, path, host: headers.host ?? '', scheme: 'http', protocol: 'HTTP/1.1', headers, body } } },
  });
  if (answer.status?.code !== 0) {
    const denied = answer.denied_response ?? {};
    const out: Record<string, string> = {};
    for (const h of denied.headers ?? []) out[h.header.key] = h.header.value;
    res.writeHead(httpStatus(denied.status) ?? 403, out);
    res.end(denied.body ?? '');
    return;
  }
  const transport = new StreamableHTTPServerTransport({}); // stateless: no sessionIdGenerator;
  const server = mcpServer();
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, JSON.parse(body));
}

beforeAll(async () => {
  gateway = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      res.writeHead(502);
      res.end(err.message);
    });
  });
  gateway.listen(0, '127.0.0.1');
  await once(gateway, 'listening');
  origin = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'mcp-authz-oauth-'));
  const data = join(dir, 'data.json');
  writeFileSync(
    data,
    JSON.stringify({
      mcp_authz: {
        resource_metadata: `${origin}/discovery/mcp-resource.json`,
        tool_policies: [{ name: 'writes', tools: ['write_file'], required_scopes: ['files:write'] }],
      },
    }),
  );
  authz = await startTestServer({ data: [data] });
});

afterAll(async () => {
  gateway?.close();
  await authz?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('MCP clients discover how to authenticate (RFC 9728 resource_metadata)', () => {
  it('the SDK client starts its OAuth flow from mcp-authz’s 401 challenge', async () => {
    let authorizationUrl: URL | undefined;
    const authProvider = {
      redirectUrl: 'http://127.0.0.1/callback',
      clientMetadata: { client_name: 'test agent', redirect_uris: ['http://127.0.0.1/callback'] },
      clientInformation: () => ({ client_id: 'agent-1' }),
      tokens: () => undefined,
      saveTokens: () => {},
      redirectToAuthorization: (url: URL) => {
        authorizationUrl = url;
      },
      saveCodeVerifier: () => {},
      codeVerifier: () => 'verifier',
    };
    const client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { authProvider }));
    // initialize needs no token under this policy; the tool does.
    await expect(client.callTool({ name: 'write_file', arguments: { path: 'a.txt', content: 'x' } })).rejects.toBeInstanceOf(UnauthorizedError);
    await client.close();

    // The challenge named the metadata document, and the client fetched it and then the authorization server's.
    const denial = authz.decisions.find((d) => d.rule === 'required_scope');
    expect(denial).toBeDefined();
    // Only the challenge names this path (it is not a well-known location the SDK would guess).
    expect(seen).toContain('GET /discovery/mcp-resource.json');
    expect(seen).toContain('GET /.well-known/oauth-authorization-server');
    expect(authorizationUrl).toBeDefined();
    const url = authorizationUrl!;
    expect(`${url.origin}${url.pathname}`).toBe(`${origin}/authorize`);
    expect(url.searchParams.get('client_id')).toBe('agent-1');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    // RFC 8707: the client asks for a token for this MCP server, which identity.jwt.resource then binds.
    expect(url.searchParams.get('resource')).toBe(`${origin}/mcp`);
  });

  it('the challenge itself: 401, Bearer invalid_token, the scope and resource_metadata', async () => {
    const res = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'write_file', arguments: { path: 'b', content: 'y' } } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="tool write_file requires the scopes files:write", scope="files:write", resource_metadata="${origin}/discovery/mcp-resource.json"`,
    );
  });
});
