import { describe, expect, it } from 'vitest';
import { computeArgumentFacts } from '../../../src/facts/index.js';
import { classifyIp, classifyLooseIp, isMetadataHost, METADATA_IPS } from '../../../src/facts/ip-class.js';

describe('classifyIp (canonical WHATWG hosts)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', 4, 'loopback', false],
    ['127.255.255.254', '127.255.255.254', 4, 'loopback', false],
    ['10.1.2.3', '10.1.2.3', 4, 'private', false],
    ['172.31.255.255', '172.31.255.255', 4, 'private', false],
    ['192.168.0.1', '192.168.0.1', 4, 'private', false],
    ['100.64.0.1', '100.64.0.1', 4, 'private', false],
    ['169.254.169.254', '169.254.169.254', 4, 'link_local', true],
    ['169.254.170.2', '169.254.170.2', 4, 'link_local', true],
    ['169.254.1.1', '169.254.1.1', 4, 'link_local', false],
    ['0.0.0.0', '0.0.0.0', 4, 'unspecified', false],
    ['224.0.0.251', '224.0.0.251', 4, 'multicast', false],
    ['240.0.0.1', '240.0.0.1', 4, 'reserved', false],
    ['198.18.0.1', '198.18.0.1', 4, 'reserved', false],
    ['192.0.0.192', '192.0.0.192', 4, 'reserved', true],
    ['1.1.1.1', '1.1.1.1', 4, 'public', false],
    ['::1', '::1', 6, 'loopback', false],
    ['::', '::', 6, 'unspecified', false],
    ['fe80::abcd', 'fe80::abcd', 6, 'link_local', false],
    ['fd00:ec2::254', 'fd00:ec2::254', 6, 'unique_local', true],
    ['fd20:ce::254', 'fd20:ce::254', 6, 'unique_local', true],
    ['fec0::1', 'fec0::1', 6, 'private', false],
    ['ff05::2', 'ff05::2', 6, 'multicast', false],
    ['::ffff:a9fe:a9fe', '169.254.169.254', 4, 'link_local', true],
    ['::ffff:a00:1', '10.0.0.1', 4, 'private', false],
    ['64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe', 6, 'reserved', true],
    ['64:ff9b::808:808', '64:ff9b::808:808', 6, 'reserved', false],
    ['2002:a9fe:a9fe::1', '2002:a9fe:a9fe::1', 6, 'reserved', true],
    ['::a9fe:a9fe', '::a9fe:a9fe', 6, 'reserved', true],
    ['2001:db8::1', '2001:db8::1', 6, 'reserved', false],
    ['4000::1', '4000::1', 6, 'reserved', false],
    ['2a00:1450:4001::200e', '2a00:1450:4001::200e', 6, 'public', false],
  ] as const)('%s → %s v%d %s metadata=%s', (host, ip, version, cls, metadata) => {
    expect(classifyIp(host)).toEqual({ ip, ip_version: version, ip_class: cls, is_metadata: metadata });
  });

  it.each(['example.com', '127.0.0.1.nip.io', '', '1.2.3', 'localhost', '::g', '1.2.3.4.5'])('%j is not an IP', (host) => {
    expect(classifyIp(host)).toBeUndefined();
  });

  it('classifies every metadata address as metadata', () => {
    for (const ip of METADATA_IPS) expect(classifyIp(ip)?.is_metadata).toBe(true);
  });
});

describe('classifyLooseIp (hosts WHATWG rejected)', () => {
  it.each([
    ['fe80::1%25eth0', 'fe80::1', 'link_local'],
    ['fe80::1%eth0', 'fe80::1', 'link_local'],
    ['2852039166', '169.254.169.254', 'link_local'],
    ['0x7f.1', '127.0.0.1', 'loopback'],
  ])('%s → %s (%s)', (host, ip, cls) => {
    expect(classifyLooseIp(host)).toMatchObject({ ip, ip_class: cls });
  });

  it('is undefined for names', () => expect(classifyLooseIp('evil.com')).toBeUndefined());
});

describe('isMetadataHost', () => {
  it.each([
    ['metadata.google.internal', true],
    ['metadata', true],
    ['instance-data.ec2.internal', true],
    ['metadata.google.internal.evil.com', false],
    ['example.com', false],
  ])('%s → %s', (host, expected) => expect(isMetadataHost(host)).toBe(expected));
});

// Issue 19 §3: every major cloud's metadata endpoint, by URL as a tool would be given it (one case per source).
describe('metadata endpoints of every major cloud, in every form', () => {
  it.each([
    ['AWS/Azure/GCP/Oracle/DigitalOcean/OpenStack/IBM IMDS', 'http://169.254.169.254/latest/meta-data/'],
    ['AWS IMDS over IPv6', 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['AWS ECS task metadata', 'http://169.254.170.2/v2/metadata'],
    ['AWS EKS Pod Identity', 'http://169.254.170.23/v1/credentials'],
    ['GCP IPv6', 'http://[fd20:ce::254]/computeMetadata/v1/'],
    ['GCP by name', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['Alibaba Cloud', 'http://100.100.100.200/latest/meta-data/'],
    ['Oracle Cloud legacy', 'http://192.0.0.192/latest/'],
    ['Azure WireServer', 'http://168.63.129.16/machine?comp=goalstate'],
    ['Azure WireServer on another port', 'http://168.63.129.16:32526/vmSettings'],
    ['Azure WireServer IPv4-mapped', 'http://[::ffff:168.63.129.16]/'],
    ['Azure WireServer IPv4-mapped hex', 'http://[::ffff:a83f:8110]/'],
    ['Azure WireServer NAT64', 'http://[64:ff9b::a83f:8110]/'],
    ['Azure WireServer decimal', 'http://2822734096/'],
    ['Tencent Cloud by address', 'http://169.254.0.23/latest/meta-data/'],
    ['Tencent Cloud by name', 'http://metadata.tencentyun.com/latest/meta-data/'],
    ['Equinix Metal', 'https://metadata.platformequinix.com/metadata'],
    ['Packet (Equinix Metal, older name)', 'https://metadata.packet.net/metadata'],
    ['IBM Cloud VPC', 'http://api.metadata.cloud.ibm.com/metadata/v1/instance'],
    ['OpenStack over IPv6', 'http://[fe80::a9fe:a9fe]/openstack/latest/meta_data.json'],
  ])('%s: %s', (_name, url) => {
    const facts = computeArgumentFacts({ url }).urls;
    expect(facts.length, url).toBeGreaterThan(0);
    expect(facts.every((f) => f.is_metadata)).toBe(true);
  });
});
