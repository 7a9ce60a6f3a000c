import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/**
 * A real redis-server (Debian's package; npm test installs it, scripts/install-services.sh) on a free loopback port, with no persistence and its
 * own working directory, stopped by the test that started it. `requirepass`: clients must AUTH with it.
 */
export async function startRedis(opts: { requirepass?: string } = {}): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-redis-'));
    const child: ChildProcess = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(opts.requirepass !== undefined ? ['--requirepass', opts.requirepass] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<boolean>((resolve, reject) => {
      let out = '';
      child.once('error', (err) => reject(new Error(`cannot start redis-server (install Debian's redis-server package): ${err.message}`)));
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (!ready) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3) continue; // the port was taken between probe and bind
      throw new Error('redis-server did not start');
    }
    child.stdout!.resume();
    child.stderr!.resume();
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill('SIGTERM');
        }),
    };
  }
}
