import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAppLogger } from '../../../src/observability/app-logger.js';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('application logger', () => {
  it('writes JSON lines with a level label, ISO time, the service and serialised errors', () => {
    const out = capture();
    const log = createAppLogger({ destination: out.stream, level: 'info' });
    log.debug('hidden');
    log.info({ revision: 'rev-1' }, 'policy loaded');
    log.error({ err: new Error('bundle fetch failed') }, 'remote bundle update failed');
    const [a, b, ...rest] = out.lines();
    expect(rest).toHaveLength(0);
    expect(a).toMatchObject({ level: 'info', service: 'mcp-authz', revision: 'rev-1', msg: 'policy loaded' });
    expect(new Date(a!.time).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: 'error', msg: 'remote bundle update failed', err: { type: 'Error', message: 'bundle fetch failed' } });
    expect(b!.err.stack).toContain('bundle fetch failed');
  });

  it('redacts credentials by name', () => {
    const out = capture();
    const log = createAppLogger({ destination: out.stream, base: { service: 'x' } });
    log.info(
      {
        authorization: 'Bearer one-secret',
        poll: { bearer_token: 'two-secret', url: 'https://b.example' },
        request: { headers: { authorization: 'three-secret', cookie: 'four-secret', accept: '*/*' } },
      },
      'oops',
    );
    for (const s of ['one-secret', 'two-secret', 'three-secret', 'four-secret']) expect(out.text()).not.toContain(s);
    const [line] = out.lines();
    expect(line).toMatchObject({
      service: 'x',
      poll: { bearer_token: '[REDACTED]', url: 'https://b.example' },
      request: { headers: { accept: '*/*' } },
    });
  });
});
