import ipaddr from 'ipaddr.js';

export type IpClass = 'loopback' | 'private' | 'link_local' | 'unique_local' | 'multicast' | 'unspecified' | 'reserved' | 'public';

/** Cloud metadata endpoints (AWS/GCP/Azure/OpenStack 169.254.169.254, AWS IPv6, ECS task metadata, Alibaba). */
const METADATA_IPS = new Set(['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200']);
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

export interface IpFacts {
  ip: string;
  ip_version: 4 | 6;
  ip_class: IpClass;
  is_metadata: boolean;
}

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
  unicast: 'public',
};

/**
 * Classify an IP literal (already canonical, as WHATWG URL leaves it: dotted IPv4, or IPv6 without brackets).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is reported and classified as its IPv4 address. Unknown special ranges
 * (documentation, benchmarking, 6to4, Teredo, NAT64 …) are `reserved`, never `public`.
 */
export function classifyIp(literal: string): IpFacts | undefined {
  // WHATWG URL leaves IPv4 hosts in dotted decimal and IPv6 hosts with colons: skip the (throwing) parse for names.
  if (!/^[\d.]+$/.test(literal) && !literal.includes(':')) return undefined;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(literal);
  } catch {
    return undefined;
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const ip = addr.toString();
  const version = addr.kind() === 'ipv4' ? 4 : 6;
  const range = addr.range();
  const ip_class = (version === 4 ? V4 : V6)[range] ?? 'reserved';
  return { ip, ip_version: version, ip_class, is_metadata: METADATA_IPS.has(ip) };
}

export const isMetadataHost = (host: string): boolean => METADATA_HOSTS.has(host);
