import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { deniedAddressReason } from './address-policy.ts';

describe('deniedAddressReason', () => {
  it('names the class of loopback, private, link-local and reserved addresses', () => {
    const table: Array<[string, string]> = [
      ['127.0.0.1', 'a loopback address'],
      ['127.8.9.10', 'a loopback address'],
      ['::1', 'a loopback address'],
      ['::ffff:127.0.0.1', 'a loopback address'],
      ['0.0.0.0', 'an unspecified address'],
      ['::', 'an unspecified address'],
      ['169.254.169.254', 'a link-local address'],
      ['fe80::1', 'a link-local address'],
      ['10.1.2.3', 'a private address'],
      ['172.16.0.1', 'a private address'],
      ['172.31.255.255', 'a private address'],
      ['192.168.1.1', 'a private address'],
      ['100.64.0.1', 'a private address'],
      ['fd00::1', 'a private address'],
      ['::ffff:10.0.0.1', 'a private address'],
      ['224.0.0.1', 'a reserved address'],
      ['255.255.255.255', 'a reserved address'],
      ['ff02::1', 'a reserved address'],
      ['not-an-ip', 'an unparsable address'],
    ];
    for (const [address, reason] of table) {
      assert.equal(deniedAddressReason(address), reason, address);
    }
  });

  it('lets public addresses through', () => {
    for (const address of ['1.1.1.1', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111']) {
      assert.equal(deniedAddressReason(address), undefined, address);
    }
  });
});

describe("deniedAddressReason: this host's addresses", () => {
  it('refuses every address on a local interface', () => {
    for (const info of Object.values(networkInterfaces()).flat()) {
      if (info === undefined) continue;
      assert.notEqual(deniedAddressReason(info.address), undefined, info.address);
    }
  });
});
