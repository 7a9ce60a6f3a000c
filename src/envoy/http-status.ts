import type { PackageDefinition } from '@grpc/proto-loader';

/** The HTTP status codes Envoy accepts in a DeniedHttpResponse (values of envoy.type.v3.StatusCode, except 0). */
export function envoyHttpStatusCodes(pkg: PackageDefinition): Set<number> {
  const def = pkg['envoy.type.v3.StatusCode'] as unknown as { type?: { value?: { number?: number }[] } } | undefined;
  const codes = new Set<number>();
  for (const v of def?.type?.value ?? []) if (typeof v.number === 'number' && v.number > 0) codes.add(v.number);
  if (codes.size === 0) throw new Error('envoy.type.v3.StatusCode missing from the descriptor set');
  return codes;
}
