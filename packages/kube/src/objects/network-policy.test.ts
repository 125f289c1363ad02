import assert from 'node:assert/strict';
import { BlockList, isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import type { SandboxEnvironment } from '@paddock/core';
import { DENIED_IPV4, DENIED_IPV6, METADATA_ADDRESSES } from './cidrs.ts';
import { fqdnSelector } from './cilium-policy.ts';
import { resolveObjectOptions, type ServiceEndpoint } from './options.ts';
import { sandboxObjects } from './sandbox-objects.ts';
import { admittedSandbox, validateObject } from './test-fixtures.ts';

const GATEWAY: ServiceEndpoint = {
  namespace: 'paddock-system',
  name: 'gateway',
  podLabels: { app: 'gateway' },
  ports: [{ port: 8080 }],
};
const DB: ServiceEndpoint = {
  namespace: 'data',
  name: 'pg',
  podLabels: { app: 'pg' },
  ports: [{ port: 5432 }],
};

function build(network: SandboxEnvironment['network'], hasCilium = false) {
  const options = resolveObjectOptions({ hasCilium, alwaysAllowedServices: [GATEWAY] });
  const sandbox = admittedSandbox({ network, ports: [{ name: 'web', port: 3000 }] });
  return sandboxObjects(sandbox, options, { services: [DB] });
}

// Two lists: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 ranges too.
function blockList(cidrs: readonly string[], family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix = ''] = cidr.split('/');
    list.addSubnet(address, Number(prefix), family);
  }
  return list;
}
const deniedV4 = blockList(DENIED_IPV4, 'ipv4');
const deniedV6 = blockList(DENIED_IPV6, 'ipv6');
const denied = {
  check: (address: string) =>
    isIPv6(address) ? deniedV6.check(address, 'ipv6') : deniedV4.check(address, 'ipv4'),
};

describe('sandboxNetworkPolicy', () => {
  it('denies every egress for `none` (the default), not even DNS', () => {
    for (const network of [undefined, { egress: 'none' as const }]) {
      const policy = build(network).networkPolicy;
      validateObject(policy);
      assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
      assert.deepEqual(policy.spec?.egress, []);
    }
  });

  it('lets in only the Paddock server, only on the forwarded ports', () => {
    const ingress = build({ egress: 'open' }).networkPolicy.spec?.ingress;
    assert.equal(ingress?.length, 1);
    assert.deepEqual(ingress?.[0]?.ports, [{ protocol: 'TCP', port: 3000 }]);
    assert.deepEqual(ingress?.[0]?.from?.[0]?.namespaceSelector?.matchLabels, {
      'kubernetes.io/metadata.name': 'paddock-system',
    });
    const closed = sandboxObjects(admittedSandbox({}), resolveObjectOptions()).networkPolicy;
    assert.deepEqual(closed.spec?.ingress, []);
  });

  it('allows `allowlist` DNS, the allowed services and its proxy, and no address range', () => {
    const { networkPolicy, egressProxy } = build({
      egress: 'allowlist',
      allowedDomains: ['a.example'],
    });
    validateObject(networkPolicy);
    const rules = networkPolicy.spec?.egress ?? [];
    assert.ok(rules.every((r) => (r.to ?? []).every((peer) => peer.ipBlock === undefined)));
    const ports = rules.map((r) => (r.ports ?? []).map((p) => p.port).join(','));
    assert.deepEqual(ports, ['53,53', '8080', '5432', '3128']);
    const proxyRule = rules[3]?.to?.[0]?.podSelector?.matchLabels ?? {};
    for (const [key, value] of Object.entries(proxyRule)) {
      assert.equal(egressProxy?.pod.metadata?.labels?.[key], value);
    }
  });

  it('allows `open` the public internet but never the metadata address or private ranges', () => {
    const rules = build({ egress: 'open' }).networkPolicy.spec?.egress ?? [];
    const blocks = rules.flatMap((r) => r.to ?? []).flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
    assert.deepEqual(
      blocks.map((b) => b.cidr),
      ['0.0.0.0/0', '::/0'],
    );
    const except = blocks.flatMap((b) => b.except ?? []);
    assert.deepEqual(except, [...DENIED_IPV4, ...DENIED_IPV6]);
    for (const address of [
      ...METADATA_ADDRESSES,
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '127.0.0.1',
    ]) {
      assert.ok(denied.check(address), address);
    }
    for (const address of ['1.1.1.1', '2606:4700:4700::1111']) {
      assert.ok(!denied.check(address), address);
    }
  });
});

describe('egress proxy (allowlist without Cilium)', () => {
  const { egressProxy, pod } = build({
    egress: 'allowlist',
    allowedDomains: ['a.example', '*.b.example'],
  });

  it('is a pod of its own that only its sandbox reaches, with the allowlist as its configuration', () => {
    assert.ok(egressProxy);
    validateObject(egressProxy.pod);
    validateObject(egressProxy.service);
    validateObject(egressProxy.networkPolicy);
    const env = Object.fromEntries(
      (egressProxy.pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    assert.equal(env.PADDOCK_EGRESS_ALLOWED_DOMAINS, 'a.example,*.b.example');
    const from =
      egressProxy.networkPolicy.spec?.ingress?.[0]?.from?.[0]?.podSelector?.matchLabels ?? {};
    assert.ok(Object.keys(from).length > 0);
    for (const [key, value] of Object.entries(from))
      assert.equal(pod.metadata?.labels?.[key], value);
  });

  it('reaches DNS and the public internet, never the metadata address or private ranges', () => {
    const rules = egressProxy?.networkPolicy.spec?.egress ?? [];
    const except = rules.flatMap((r) => r.to ?? []).flatMap((p) => p.ipBlock?.except ?? []);
    assert.ok(except.includes('169.254.0.0/16') && except.includes('10.0.0.0/8'));
    assert.deepEqual(
      rules[0]?.ports?.map((p) => p.port),
      [53, 53],
    );
  });
});

describe('sandboxCiliumPolicy (allowlist with Cilium)', () => {
  const { ciliumPolicy, networkPolicy } = build(
    { egress: 'allowlist', allowedDomains: ['api.example.com', '*.example.org'] },
    true,
  );

  it('passes the CiliumNetworkPolicy schema and selects the sandbox pod', () => {
    assert.ok(ciliumPolicy);
    validateObject(ciliumPolicy);
    assert.deepEqual(
      ciliumPolicy.spec.endpointSelector.matchLabels,
      networkPolicy.spec?.podSelector?.matchLabels,
    );
  });

  it('allows the domains by name and every subdomain of a wildcard at any depth', () => {
    assert.deepEqual(ciliumPolicy?.spec.egress[1]?.toFQDNs, [
      { matchName: 'api.example.com' },
      { matchPattern: '**.example.org' },
    ]);
    assert.deepEqual(fqdnSelector('*.a.b'), { matchPattern: '**.a.b' });
  });

  it('denies the metadata address and private ranges over every allow', () => {
    assert.deepEqual(ciliumPolicy?.spec.egressDeny, [{ toCIDR: [...DENIED_IPV4, ...DENIED_IPV6] }]);
  });

  it('leaves no proxy, and no FQDN rule without domains', () => {
    const bare = build({ egress: 'allowlist' }, true);
    assert.equal(bare.egressProxy, undefined);
    assert.equal(bare.ciliumPolicy?.spec.egress.length, 1);
  });
});

describe('validateObject', () => {
  it('fails on objects that break the official schemas', () => {
    const pod = build({ egress: 'none' }).pod;
    const bad = structuredClone(pod);
    const container = bad.spec?.containers[0];
    assert.ok(container?.resources?.limits);
    container.resources.limits.cpu = 'lots';
    assert.throws(() => validateObject(bad), /quantity/);
    const policy = structuredClone(build({ egress: 'allowlist' }, true).ciliumPolicy);
    assert.ok(policy);
    policy.spec.egress.push({ toFQDNs: [{ matchName: 'bad name!' }] });
    assert.throws(() => validateObject(policy), /pattern/);
  });
});
