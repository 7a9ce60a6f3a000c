import { describe, expect, it } from 'vitest';
import { separatorTwins } from '../../../src/check/header-twins.js';

describe('separatorTwins', () => {
  it('every -/_ spelling of a header name, lower case', () => {
    expect(separatorTwins('X-Processed-By').sort()).toEqual(['x-processed-by', 'x-processed_by', 'x_processed-by', 'x_processed_by']);
    expect(separatorTwins('x_a')).toEqual(['x-a', 'x_a']);
    expect(separatorTwins('host')).toEqual(['host']);
  });

  it('bounds names with many separators to three spellings', () => {
    const many = 'a-b-c-d-e-f-g-h-i-j';
    expect(separatorTwins(many)).toEqual([many, many.replaceAll('-', '_')]);
    expect(separatorTwins('x-mcp-authz-approval-id')).toHaveLength(16);
  });
});
