import { ProtoReader, WIRE_LEN, WIRE_VARINT } from './proto-reader.js';

const PACKAGE = 'envoy.type.v3';
const ENUM = 'StatusCode';

/**
 * The HTTP status codes Envoy accepts in a DeniedHttpResponse: the values of envoy.type.v3.StatusCode, except 0,
 * read from the FileDescriptorProtos the server serves (descriptor.proto: FileDescriptorProto.package = 2,
 * enum_type = 5; EnumDescriptorProto.name = 1, value = 2; EnumValueDescriptorProto.number = 2). Reading them needs
 * no protobuf runtime: the server loads none for its own messages (src/envoy/descriptor-set.ts).
 */
export function envoyHttpStatusCodes(files: readonly Buffer[]): Set<number> {
  const codes = new Set<number>();
  for (const bytes of files) {
    const file = new ProtoReader(bytes);
    let pkg = '';
    const enums: ProtoReader[] = [];
    while (!file.done()) {
      const t = file.tag();
      if (t === ((2 << 3) | WIRE_LEN)) pkg = file.string();
      else if (t === ((5 << 3) | WIRE_LEN)) enums.push(file.sub());
      else file.skip(t & 7);
    }
    if (pkg !== PACKAGE) continue;
    for (const e of enums) {
      let name = '';
      const numbers: number[] = [];
      while (!e.done()) {
        const t = e.tag();
        if (t === ((1 << 3) | WIRE_LEN)) name = e.string();
        else if (t === ((2 << 3) | WIRE_LEN)) {
          const value = e.sub();
          while (!value.done()) {
            const v = value.tag();
            if (v === ((2 << 3) | WIRE_VARINT)) numbers.push(value.int32());
            else value.skip(v & 7);
          }
        } else e.skip(t & 7);
      }
      if (name === ENUM) for (const n of numbers) if (n > 0) codes.add(n);
    }
  }
  if (codes.size === 0) throw new Error(`${PACKAGE}.${ENUM} missing from the descriptor set`);
  return codes;
}
