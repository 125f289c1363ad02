/**
 * Address space a sandbox never reaches by IP, whatever its egress mode: the cloud metadata
 * services (169.254.169.254, fd00:ec2::254, Alibaba's 100.100.100.200), loopback, link-local,
 * private and carrier-grade NAT ranges (where nodes, pods, services and the rest of the network
 * live), and addresses that are not unicast. In-cluster services a sandbox may reach are allowed
 * by pod selector, never by address.
 */
import type { NetworkPolicyPeer } from './kube-types.ts';

export const DENIED_IPV4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

export const DENIED_IPV6 = [
  '::/128',
  '::1/128',
  '::ffff:0:0/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
] as const;

/** The metadata addresses, named for tests and docs; every one lies inside a denied range. */
export const METADATA_ADDRESSES = ['169.254.169.254', '100.100.100.200', 'fd00:ec2::254'] as const;

/** NetworkPolicy peers for "the public internet": everything but the denied ranges. */
export function publicInternetPeers(): NetworkPolicyPeer[] {
  return [
    { ipBlock: { cidr: '0.0.0.0/0', except: [...DENIED_IPV4] } },
    { ipBlock: { cidr: '::/0', except: [...DENIED_IPV6] } },
  ];
}
