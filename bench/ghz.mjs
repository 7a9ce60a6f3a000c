// One ghz run against mcp-authz's Check (or any server of envoy.service.auth.v3.Authorization), with the project's
// descriptor set; resolves ghz's JSON report.
import { spawn } from 'node:child_process';

/**
 * @param {{ port: number, data: string, n: number, c: number, connections: number, rps?: number }} o
 *   `data`: the ghz data file (one request, or an array ghz cycles through); `rps` 0 or absent: unthrottled.
 */
export function ghzReport({ port, data, n, c, connections, rps = 0 }) {
  const args = ['--insecure', '--protoset', 'proto/mcp-authz.binpb', '--call', 'envoy.service.auth.v3.Authorization/Check'];
  args.push('--data-file', data, '-n', String(n), '-c', String(c), '--connections', String(connections), '--rps', String(rps));
  args.push('--format', 'json', `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    const child = spawn('ghz', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(new Error(`ghz exited ${code}: ${err.message}`));
      }
    });
  });
}
