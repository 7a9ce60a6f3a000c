import { describe, expect, it } from 'vitest';
import { declaredFormat, readDeclarations } from '../../../src/facts/document-declarations.js';

describe('document declarations (parse where declared)', () => {
  it('declares nothing without data: a body is text', () => {
    expect(readDeclarations('{}')).toEqual([]);
    expect(readDeclarations('{"mcp_authz": {}}')).toEqual([]);
    expect(readDeclarations('not json')).toEqual([]);
    expect(declaredFormat(readDeclarations('{}'), 'create_issue', 'body')).toBeUndefined();
  });

  it('reads documents.arguments, by tool, folded, bare or gateway-prefixed names', () => {
    const d = readDeclarations(
      JSON.stringify({
        mcp_authz: {
          documents: {
            arguments: [
              { argument: 'payload', tools: ['summarise'] },
              { argument: 'request.body', format: 'form' },
              { argument: 'data', format: 'json' },
            ],
          },
        },
      }),
    );
    expect(declaredFormat(d, 'summarise', 'payload')).toBe('auto');
    expect(declaredFormat(d, 'web__summarise', 'PAYLOAD')).toBe('auto');
    expect(declaredFormat(d, 'translate', 'payload')).toBeUndefined();
    expect(declaredFormat(d, 'anything', 'request.body')).toBe('form');
    expect(declaredFormat(d, 'anything', 'Request.Body')).toBe('form');
    expect(declaredFormat(d, 'anything', 'data')).toBe('json');
    expect(declaredFormat(d, 'anything', 'body')).toBeUndefined();
  });

  it('an argument rule reaching through a member declares that member for its tools', () => {
    const d = readDeclarations(
      JSON.stringify({
        mcp_authz: {
          tool_policies: [
            { name: 'payments', tools: ['http_proxy'], rules: [{ name: 'p', approval_above: { argument: 'body.amount', value: 1 }, message: 'm' }] },
            {
              name: 'all',
              rules: [
                { name: 'r', required: 'request.form.reason', message: 'm' },
                { name: 'flat', max: { argument: 'amount', value: 1 }, message: 'm' },
              ],
            },
          ],
        },
      }),
    );
    expect(declaredFormat(d, 'http_proxy', 'body')).toBe('auto');
    expect(declaredFormat(d, 'github__create_issue', 'body')).toBeUndefined();
    expect(declaredFormat(d, 'x', 'request')).toBe('auto');
    expect(declaredFormat(d, 'x', 'request.form')).toBe('auto');
    expect(declaredFormat(d, 'x', 'amount')).toBeUndefined();
  });

  it('an explicit format wins over a rule-inferred auto', () => {
    const d = readDeclarations(
      JSON.stringify({
        mcp_authz: {
          documents: { arguments: [{ argument: 'body', format: 'form' }] },
          tool_policies: [{ name: 'p', rules: [{ name: 'r', max: { argument: 'body.amount', value: 1 }, message: 'm' }] }],
        },
      }),
    );
    expect(declaredFormat(d, 'http_proxy', 'body')).toBe('form');
  });
});
