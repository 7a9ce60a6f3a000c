import ipaddr from 'ipaddr.js';

/**
 * Address classes a policy can block. `reserved` is every special-purpose range that is neither public nor one of
 * the others (documentation, benchmarking, broadcast, 240/4, NAT64, 6to4, Teredo, IPv4-compatible IPv6, space
 * outside 2000::/3 …): it is never `public`.
 */
export type IpClass = 'loopback' | 'private' | 'link_local' | 'unique_local' | 'multicast' | 'unspecified' | 'reserved' | 'public';

export interface IpFacts {
  /** Canonical address: dotted-quad IPv4, RFC 5952 IPv6 (no brackets, no zone). IPv4-mapped IPv6 → the IPv4. */
  ip: string;
  ip_version: 4 | 6;
  ip_class: IpClass;
  /** A cloud metadata endpoint, also when embedded in NAT64/6to4/IPv4-compatible IPv6. */
  is_metadata: boolean;
}

/**
 * Cloud instance metadata endpoints, each from its vendor's documentation. Matched by address, so every port, and
 * every IPv6 form that embeds the IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4, Teredo, ISATAP: see
 * classifyIp).
 */
export const METADATA_IPS: ReadonlySet<string> = new Set([
  // AWS EC2 IMDS, Azure IMDS, GCP, Oracle Cloud, DigitalOcean, OpenStack Nova, IBM Cloud VPC, Hetzner
  // (docs.aws.amazon.com "Instance metadata", learn.microsoft.com "Azure Instance Metadata Service", cloud.google.com
  // "About VM metadata", docs.oracle.com "Getting Instance Metadata", docs.digitalocean.com "Droplet Metadata",
  // docs.openstack.org "Metadata service", cloud.ibm.com "About VPC Instance Metadata").
  '169.254.169.254',
  // AWS EC2 IMDS over IPv6 (docs.aws.amazon.com "Instance metadata service endpoints").
  'fd00:ec2::254',
  // AWS ECS task metadata v2 (docs.aws.amazon.com "Task metadata endpoint version 2").
  '169.254.170.2',
  // AWS EKS Pod Identity agent, IPv4 and IPv6 (docs.aws.amazon.com "EKS Pod Identity").
  '169.254.170.23',
  'fd00:ec2::23',
  // GCP metadata server over IPv6 (cloud.google.com "About VM metadata": fd20:ce::254).
  'fd20:ce::254',
  // Alibaba Cloud ECS (alibabacloud.com "Instance metadata": 100.100.100.200).
  '100.100.100.200',
  // Oracle Cloud legacy endpoint (docs.oracle.com "Getting Instance Metadata": 192.0.0.192).
  '192.0.0.192',
  // Azure WireServer / host agent (learn.microsoft.com "What is IP address 168.63.129.16?"), on every port.
  '168.63.129.16',
  // Tencent Cloud CVM (tencentcloud.com "Instance Metadata": metadata.tencentyun.com is 169.254.0.23).
  '169.254.0.23',
  // OpenStack Nova metadata over IPv6 (docs.openstack.org "Metadata service": fe80::a9fe:a9fe).
  'fe80::a9fe:a9fe',
]);

/** Metadata service DNS names, compared with the canonical host (lower case, no trailing dot). */
export const METADATA_HOSTS: ReadonlySet<string> = new Set([
  // GCP (cloud.google.com "About VM metadata").
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  // AWS EC2 (docs.aws.amazon.com "Instance metadata": instance-data resolves to the IMDS).
  'instance-data',
  'instance-data.ec2.internal',
  // Tencent Cloud CVM (tencentcloud.com "Instance Metadata").
  'metadata.tencentyun.com',
  // Equinix Metal, formerly Packet (deploy.equinix.com "Metadata"; metadata.packet.net is the older name).
  'metadata.platformequinix.com',
  'metadata.packet.net',
  // IBM Cloud VPC instance metadata (cloud.ibm.com "About VPC Instance Metadata").
  'api.metadata.cloud.ibm.com',
]);

const V4: Record<string, IpClass> = {
  unspecified: 'unspecified',
  broadcast: 'reserved',
  multicast: 'multicast',
  linkLocal: 'link_local',
  loopback: 'loopback',
  carrierGradeNat: 'private',
  private: 'private',
  reserved: 'reserved',
  unicast: 'public',
};

const V6: Record<string, IpClass> = {
  unspecified: 'unspecified',
  linkLocal: 'link_local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique_local',
  deprecatedSiteLocal: 'private',
  unicast: 'public',
};

/** 2000::/3, the only IPv6 space allocated for global unicast. */
const GLOBAL_UNICAST: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];

/** Special IPv6 ranges that carry an IPv4 address and may reach it (through a translator or tunnel). */
function embeddedIpv4(a: ipaddr.IPv6, range: string): string | undefined {
  const p = a.parts;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  switch (range) {
    case 'rfc6052': // NAT64 64:ff9b::/96 (and 64:ff9b:1::/48): the last 32 bits
    case 'rfc6145': // SIIT ::ffff:0:a.b.c.d
      return v4(p[6]!, p[7]!);
    case '6to4': // 2002:AABB:CCDD::/48
      return v4(p[1]!, p[2]!);
    case 'teredo': // 2001:0::/32: the client address, inverted, in the last 32 bits
      return v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff);
    case 'unicast': // deprecated IPv4-compatible ::a.b.c.d (:: and ::1 are their own ranges)
      return p.slice(0, 6).every((x) => x === 0) ? v4(p[6]!, p[7]!) : undefined;
    default:
      return undefined;
  }
}

function fromAddress(addr: ipaddr.IPv4 | ipaddr.IPv6): IpFacts {
  if (addr.kind() === 'ipv4') {
    const ip = addr.toString();
    return { ip, ip_version: 4, ip_class: V4[addr.range()] ?? 'reserved', is_metadata: METADATA_IPS.has(ip) };
  }
  let v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return fromAddress(v6.toIPv4Address());
  if (v6.zoneId !== undefined) v6 = new ipaddr.IPv6(v6.parts);
  const ip = v6.toString();
  const range = v6.range();
  const embedded = embeddedIpv4(v6, range);
  let ip_class = embedded !== undefined ? 'reserved' : (V6[range] ?? 'reserved');
  if (ip_class === 'public' && !v6.match(GLOBAL_UNICAST)) ip_class = 'reserved';
  const is_metadata = METADATA_IPS.has(ip) || (embedded !== undefined && METADATA_IPS.has(embedded));
  return { ip, ip_version: 6, ip_class, is_metadata };
}

/**
 * Classify the host of a URL that WHATWG `URL` has canonicalised: dotted-quad IPv4 or an IPv6 literal without
 * brackets. Undefined for DNS names. Never throws.
 */
export function classifyIp(host: string): IpFacts | undefined {
  // Canonical WHATWG IPv4 hosts are dotted quads; IPv6 hosts have colons. Anything else is a name: skip parsing.
  if (/^[\d.]+$/.test(host)) return ipaddr.IPv4.isValidFourPartDecimal(host) ? fromAddress(ipaddr.IPv4.parse(host)) : undefined;
  if (!host.includes(':') || !ipaddr.IPv6.isValid(host)) return undefined;
  return fromAddress(ipaddr.IPv6.parse(host));
}

/**
 * Classify a host as some other parser (inet_aton, Python) might read it: any IPv4 form ipaddr.js accepts
 * (decimal, hex, octal, short) or an IPv6 literal with an optional `%zone`. For hosts WHATWG rejected.
 */
export function classifyLooseIp(host: string): IpFacts | undefined {
  const h = host.replace(/%25/g, '%');
  if (!ipaddr.isValid(h)) return undefined;
  try {
    return fromAddress(ipaddr.parse(h));
  } catch {
    return undefined;
  }
}

export const isMetadataHost = (host: string): boolean => METADATA_HOSTS.has(host);
