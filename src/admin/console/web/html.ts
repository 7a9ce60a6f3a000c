// The console's view layer: Preact with htm tagged templates, loaded as ES modules through the page's import map.
import { html } from 'htm/preact';

export { html };

/** A JSON request to the admin API, same origin. With bearer authentication the token is asked for once per tab. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = sessionStorage.getItem('mcp-authz-token');
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  if (res.status === 401 && (res.headers.get('www-authenticate') ?? '').startsWith('Bearer')) {
    const t = prompt('Admin API token');
    if (t) {
      sessionStorage.setItem('mcp-authz-token', t);
      return api(path, init);
    }
  }
  const data: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    // {error, message}, or a load failure's {error: {code, message}} (opa's file:line message).
    const e = data as { message?: string; error?: string | { code?: string; message?: string } };
    if (typeof e.error === 'object') throw new Error(`${e.error.message ?? 'failed'} (${e.error.code ?? res.status})`);
    throw new Error(e.message ?? e.error ?? `HTTP ${res.status}`);
  }
  return data as T;
}

export const Badge = ({ value, label }: { value: string; label?: string }) =>
  html`<span class=${`badge ${value}`}>${label ?? value.replace('_', ' ')}</span>`;

export const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '-');
export const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '-');
export const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** A request for the playground to open with (what the Decisions and Shadow pages hand it). */
export interface PlaygroundPrefill {
  body: string;
  headers: Record<string, string>;
  principal?: string;
  revision?: string;
  /** Also check it against the shadow candidate, side by side. */
  compare?: boolean;
}

/**
 * The request a recorded input document was built from, as the playground takes it: the body (the parsed body
 * when the raw one was left out of the log), the request headers without HTTP/2 pseudo-headers, the source
 * principal, and the revision that answered. Redacted values stay redacted (type a real token to try one).
 */
export function requestFromInput(recorded: unknown, revision: string | null): PlaygroundPrefill {
  const input = (recorded ?? {}) as {
    attributes?: { request?: { http?: { body?: unknown; headers?: Record<string, unknown> } }; source?: { principal?: unknown } };
    parsed_body?: unknown;
  };
  const http = input.attributes?.request?.http;
  const raw = typeof http?.body === 'string' && !http.body.startsWith('[omitted') ? http.body : undefined;
  const body = raw ?? (input.parsed_body !== undefined ? JSON.stringify(input.parsed_body, null, 2) : '');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(http?.headers ?? {})) if (!k.startsWith(':') && typeof v === 'string') headers[k] = v;
  const principal = input.attributes?.source?.principal;
  return { body, headers, ...(typeof principal === 'string' ? { principal } : {}), ...(revision ? { revision } : {}) };
}

const PREFILL_KEY = 'mcp-authz-playground';

/** Open the playground with this request filled in (kept for this tab until the playground reads it). */
export function openInPlayground(req: PlaygroundPrefill): void {
  sessionStorage.setItem(PREFILL_KEY, JSON.stringify(req));
  location.hash = '#/playground';
}

/** The request another page asked the playground to open with, once. */
export function takePlaygroundPrefill(): PlaygroundPrefill | undefined {
  const raw = sessionStorage.getItem(PREFILL_KEY);
  sessionStorage.removeItem(PREFILL_KEY);
  try {
    return raw ? (JSON.parse(raw) as PlaygroundPrefill) : undefined;
  } catch {
    return undefined;
  }
}

/** The value of the input, select or textarea an event came from. */
export const fieldValue = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
