import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which resolved addresses the egress proxy may dial for an allow-listed hostname. Whoever
 * controls a listed name's DNS decides where it points; without this check `allowedDomains`
 * could reach the host's own services on 127.0.0.1, a cloud metadata endpoint, or the LAN.
 */

type AddressClass = readonly [reason: string, rules: BlockList];

function rules(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [network = '', prefix] = range.split('/');
    const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, family);
    else list.addSubnet(network, Number(prefix), family);
  }
  return list;
}

// IPv4 rules also match IPv4-mapped IPv6 addresses (::ffff:127.0.0.1), so those need no rule.
const DENIED: readonly AddressClass[] = [
  ['a loopback address', rules(['127.0.0.0/8', '::1/128'])],
  ['an unspecified address', rules(['0.0.0.0/8', '::/128'])],
  ['a link-local address', rules(['169.254.0.0/16', 'fe80::/10'])],
  [
    'a private address',
    rules(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']),
  ],
  [
    'a reserved address',
    rules(['192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4', 'ff00::/8']),
  ],
];

/** Addresses on this host's interfaces; a service bound to 0.0.0.0 answers on each of them. */
function hostAddresses(): BlockList {
  const list = new BlockList();
  for (const info of Object.values(networkInterfaces()).flat()) {
    if (info === undefined) continue;
    list.addAddress(info.address.split('%')[0] ?? '', info.family === 'IPv6' ? 'ipv6' : 'ipv4');
  }
  return list;
}

/**
 * Why the proxy must not dial `address` on behalf of a hostname, as a phrase for the refusal
 * (`a loopback address`), or undefined when the address is public. Never includes the address
 * itself: the sandbox learns the class of refusal, not the host's network layout.
 */
export function deniedAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'an unparsable address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [reason, list] of DENIED) {
    if (list.check(address, type)) return reason;
  }
  return hostAddresses().check(address, type) ? "one of this host's addresses" : undefined;
}
