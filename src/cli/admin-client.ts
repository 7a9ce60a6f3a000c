import { hostname, userInfo } from 'node:os';

/**
 * Headers for the admin API: JSON, and the credentials admin_auth asks for from MCP_AUTHZ_ADMIN_TOKEN (bearer) or
 * MCP_AUTHZ_ADMIN_USER and MCP_AUTHZ_ADMIN_PASSWORD (basic).
 */
export function adminHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (env.MCP_AUTHZ_ADMIN_TOKEN) headers.authorization = `Bearer ${env.MCP_AUTHZ_ADMIN_TOKEN}`;
  else if (env.MCP_AUTHZ_ADMIN_USER)
    headers.authorization = `Basic ${Buffer.from(`${env.MCP_AUTHZ_ADMIN_USER}:${env.MCP_AUTHZ_ADMIN_PASSWORD ?? ''}`).toString('base64')}`;
  return headers;
}

/** Who acts when --by is not given: $USER@host (the server records the authenticated user instead when admin_auth is on). */
export function defaultActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = 'unknown';
  }
  return `${user}@${hostname()}`;
}
