// The ceiling for benchmarks: a bare grpc-js Check server that always answers OK, decoding requests with the
// same descriptor set and proto-loader options as mcp-authz (from dist/, so run `npm run build` first).
// Usage: node bench/bare-server.mjs [host:port]
import * as grpc from '@grpc/grpc-js';
import { loadDescriptors } from '../dist/envoy/descriptors.js';

const address = process.argv[2] ?? '127.0.0.1:0';
const { packageDefinition } = loadDescriptors();
const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
server.addService(packageDefinition['envoy.service.auth.v3.Authorization'], {
  Check: (_call, cb) => cb(null, { status: { code: 0 } }),
});
server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ msg: 'bare server started', grpc_port: port })}\n`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
