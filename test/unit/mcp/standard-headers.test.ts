import { describe, expect, it } from 'vitest';
import { decodeHeaderValue, versionAtLeast } from '../../../src/mcp/standard-headers.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { DEFAULT_LIMITS, inputOf } from '../../helpers/pipeline.js';

const input = (message: unknown, headers: Record<string, string>) =>
  inputOf(mcpCheckRequest(message, { headers }) as never, DEFAULT_LIMITS).input.mcp!;
const V = { 'mcp-protocol-version': '2026-07-28' };

describe('MCP 2026-07-28 standard headers (SEP-2243)', () => {
  it('exposes matching headers in input.mcp.headers, Base64 sentinels decoded', () => {
    const mcp = input(toolCall('get_weather', { region: 'us-west1', n: 7 }), {
      ...V,
      'mcp-method': 'tools/call',
      'mcp-name': '=?base64?Z2V0X3dlYXRoZXI=?=',
      'mcp-param-region': 'us-west1',
      'Mcp-Param-N': '7',
    });
    expect(mcp.error).toBeUndefined();
    expect(mcp.headers).toEqual({ method: 'tools/call', name: 'get_weather', params: { region: 'us-west1', n: '7' } });
  });

  it('refuses a mismatch with header_mismatch and JSON-RPC code -32020, whatever the version', () => {
    for (const [headers, why] of [
      [{ ...V, 'mcp-method': 'tools/list', 'mcp-name': 'get_weather' }, 'method'],
      [{ ...V, 'mcp-method': 'tools/call', 'mcp-name': 'delete_account' }, 'name'],
      [{ 'mcp-method': 'tools/list' }, 'no version'],
      [{ ...V, 'mcp-method': 'tools/call', 'mcp-name': 'get_weather', 'mcp-param-region': 'eu' }, 'param'],
      [{ ...V, 'mcp-method': 'tools/call', 'mcp-name': '=?base64?not base64?=' }, 'bad sentinel'],
      [{ ...V, 'mcp-method': 'tools/call', 'mcp-name': 'get_weather\u00e9' }, 'non-ASCII plain value'],
      [{ ...V, 'mcp-method': 'tools/call', 'mcp-name': 'get_weather', mcp_method: 'tools/list' }, 'underscore twin'],
    ] as const) {
      const mcp = input(toolCall('get_weather', { region: 'us-west1' }), headers as Record<string, string>);
      expect(mcp.error, why).toMatchObject({ code: 'header_mismatch', jsonrpc_code: -32020 });
    }
  });

  it('requires Mcp-Method (and Mcp-Name where the spec says) from 2026-07-28 on', () => {
    expect(input(toolCall('t', {}), { ...V, 'mcp-name': 't' }).error?.code).toBe('header_mismatch');
    expect(input(toolCall('t', {}), { ...V, 'mcp-method': 'tools/call' }).error?.code).toBe('header_mismatch');
    expect(input({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...V, 'mcp-method': 'tools/list' }).error).toBeUndefined();
    expect(input(toolCall('t', {}), { 'mcp-protocol-version': '2025-11-25' }).error).toBeUndefined();
  });

  it('follows the batch rules: none from 2025-06-18 on', () => {
    const batch = [toolCall('t', {}, 1), toolCall('t', {}, 2)];
    expect(input(batch, { 'mcp-protocol-version': '2025-06-18' }).error?.code).toBe('jsonrpc_batch_not_allowed');
    expect(input(batch, { 'mcp-protocol-version': '2025-03-26' }).error).toBeUndefined();
    expect(input(batch, { 'mcp-method': 'tools/call' }).error?.code).toBe('header_mismatch');
  });

  it('compares the protocol version header with the body _meta', () => {
    const m = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2025-06-18' } } };
    expect(input(m, { ...V, 'mcp-method': 'tools/list' }).error?.code).toBe('header_mismatch');
  });

  it('decodes header values per the spec', () => {
    expect(decodeHeaderValue('=?base64?SGVsbG8sIOS4lueVjA==?=')).toBe('Hello, 世界');
    expect(decodeHeaderValue('us-west1')).toBe('us-west1');
    expect(decodeHeaderValue('=?base64?abc?=')).toBeUndefined();
    expect(decodeHeaderValue('a\u0001b')).toBeUndefined();
    expect(versionAtLeast('2026-07-28', '2025-06-18')).toBe(true);
    expect(versionAtLeast('2025-03-26', '2025-06-18')).toBe(false);
    expect(versionAtLeast(undefined, '2025-06-18')).toBe(false);
  });
});
