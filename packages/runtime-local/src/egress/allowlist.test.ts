import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalHost,
  isDomainAllowed,
  isIpLiteral,
  isValidDomainPattern,
  matchesDomainPattern,
} from './allowlist.ts';

describe('canonicalHost', () => {
  it('lower-cases names and drops one trailing dot', () => {
    assert.equal(canonicalHost('API.Example.COM'), 'api.example.com');
    assert.equal(canonicalHost('example.com.'), 'example.com');
    assert.equal(canonicalHost('example.com..'), undefined);
    assert.equal(canonicalHost('localhost'), 'localhost');
    assert.equal(canonicalHost('_dmarc.example.com'), '_dmarc.example.com');
  });

  it('compresses IPv6 literals and removes brackets', () => {
    assert.equal(canonicalHost('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(canonicalHost('2001:DB8:0::1'), '2001:db8::1');
    assert.equal(canonicalHost('::ffff:127.0.0.1'), '::ffff:7f00:1');
    assert.equal(canonicalHost('127.0.0.1.'), '127.0.0.1');
  });

  it('refuses what is neither a hostname nor a plain IP literal', () => {
    for (const host of [
      '',
      '.',
      'a..b',
      '.example.com',
      '-a.example.com',
      'a-.example.com',
      'ex ample.com',
      'exämple.com',
      'example.com:443',
      'user@example.com',
      'example.com/path',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(127)}com`,
      'fe80::1%eth0',
      '[::1',
      '[example.com]',
      '*.example.com',
    ]) {
      assert.equal(canonicalHost(host), undefined, host);
    }
  });

  it('refuses numeric spellings that resolvers read as addresses', () => {
    for (const host of [
      '2130706433',
      '127.1',
      '0x7f.1',
      '0x7f000001',
      '017700000001',
      '01.2.3.4',
    ]) {
      assert.equal(canonicalHost(host), undefined, host);
    }
    assert.equal(canonicalHost('1password.com'), '1password.com');
    assert.equal(canonicalHost('123.example.com'), '123.example.com');
  });
});

describe('matchesDomainPattern', () => {
  it('matches an exact name case-insensitively, with or without a trailing dot', () => {
    assert.equal(matchesDomainPattern('example.com', 'example.com'), true);
    assert.equal(matchesDomainPattern('EXAMPLE.com.', 'example.com'), true);
    assert.equal(matchesDomainPattern('example.com', 'Example.COM.'), true);
    assert.equal(matchesDomainPattern('www.example.com', 'example.com'), false);
    assert.equal(matchesDomainPattern('example.com.evil.com', 'example.com'), false);
    assert.equal(matchesDomainPattern('notexample.com', 'example.com'), false);
  });

  it('matches strict subdomains for *.', () => {
    assert.equal(matchesDomainPattern('a.example.com', '*.example.com'), true);
    assert.equal(matchesDomainPattern('a.b.example.com', '*.example.com'), true);
    assert.equal(matchesDomainPattern('A.Example.Com.', '*.EXAMPLE.com'), true);
    assert.equal(matchesDomainPattern('example.com', '*.example.com'), false);
    assert.equal(matchesDomainPattern('badexample.com', '*.example.com'), false);
    assert.equal(matchesDomainPattern('a.example.com.evil.com', '*.example.com'), false);
  });

  it('matches IP literals only against the same literal', () => {
    assert.equal(matchesDomainPattern('10.0.0.5', '10.0.0.5'), true);
    assert.equal(matchesDomainPattern('::1', '[::1]'), true);
    assert.equal(matchesDomainPattern('[0::1]', '::1'), true);
    assert.equal(matchesDomainPattern('10.0.0.6', '10.0.0.5'), false);
    assert.equal(matchesDomainPattern('::ffff:10.0.0.5', '10.0.0.5'), false);
    assert.equal(matchesDomainPattern('1.0.0.10', '*.0.0.10'), false);
  });

  it('lets malformed patterns and hosts match nothing', () => {
    for (const pattern of ['*', '*.', '**.example.com', 'ex*.com', 'example.com:443', '']) {
      assert.equal(matchesDomainPattern('example.com', pattern), false, pattern);
      assert.equal(matchesDomainPattern('a.example.com', pattern), false, pattern);
    }
    assert.equal(matchesDomainPattern('a..example.com', '*.example.com'), false);
    assert.equal(matchesDomainPattern('2130706433', '*.example.com'), false);
  });
});

describe('isDomainAllowed', () => {
  const patterns = ['api.anthropic.com', '*.github.com', 'github.com', '192.0.2.7'];

  it('allows a host when any pattern matches', () => {
    for (const host of ['api.anthropic.com', 'github.com', 'codeload.github.com', '192.0.2.7']) {
      assert.equal(isDomainAllowed(host, patterns), true, host);
    }
  });

  it('refuses everything else, including unlisted IP literals', () => {
    for (const host of ['anthropic.com', 'evil.com', 'github.com.evil.com', '127.0.0.1', '::1']) {
      assert.equal(isDomainAllowed(host, patterns), false, host);
    }
  });

  it('refuses everything for an empty list', () => {
    assert.equal(isDomainAllowed('example.com', []), false);
  });
});

describe('isValidDomainPattern and isIpLiteral', () => {
  it('accepts names, wildcards and IP literals', () => {
    for (const pattern of ['example.com', '*.example.com', '*.dev', '10.0.0.5', '[::1]']) {
      assert.equal(isValidDomainPattern(pattern), true, pattern);
    }
    for (const pattern of ['*', '*.10.0.0.5', 'ex*.com', 'https://example.com', '']) {
      assert.equal(isValidDomainPattern(pattern), false, pattern);
    }
  });

  it('tells IP literals from names', () => {
    assert.equal(isIpLiteral('127.0.0.1'), true);
    assert.equal(isIpLiteral('[::1]'), true);
    assert.equal(isIpLiteral('example.com'), false);
    assert.equal(isIpLiteral('2130706433'), false);
  });
});
