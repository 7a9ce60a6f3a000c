import ipaddr from 'ipaddr.js';
import { isString } from './raw.js';

export const netBuiltins = {
  /** net.cidr_is_valid: an IPv4 or IPv6 CIDR (address/prefix) that parses. */
  'net.cidr_is_valid': (cidr: unknown) => {
    if (!isString(cidr) || !cidr.includes('/')) return false;
    try {
      ipaddr.parseCIDR(cidr);
      return true;
    } catch {
      return false;
    }
  },
};
