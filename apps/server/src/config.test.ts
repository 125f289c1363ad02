import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { type ConfigSources, parseServerArgs, resolveConfig } from './config.ts';

const resolve = (sources: Partial<ConfigSources>) =>
  resolveConfig({ flags: {}, env: {}, ...sources });

/** The issues of the `validation_failed` that resolving `sources` throws. */
function issuesOf(sources: Partial<ConfigSources>): { path: string; message: string }[] {
  try {
    resolve(sources);
  } catch (error) {
    assert.ok(isPaddockError(error, 'validation_failed'), String(error));
    return error.details.issues as { path: string; message: string }[];
  }
  assert.fail(`accepted ${JSON.stringify(sources)}`);
}

describe('rate limit: the documented N/s, or plain N', () => {
  for (const [text, perSec] of [
    ['50/s', 50],
    ['50', 50],
    ['2.5/s', 2.5],
    [' 10 / s ', 10],
  ] as const) {
    it(`--rate-limit ${JSON.stringify(text)} and PADDOCK_RATE_LIMIT=${JSON.stringify(text)} are ${perSec}/s`, () => {
      assert.equal(resolve({ flags: { 'rate-limit': text } }).rateLimitPerSec, perSec);
      assert.equal(resolve({ env: { PADDOCK_RATE_LIMIT: text } }).rateLimitPerSec, perSec);
    });
  }

  it('defaults to 50/s, burst 100', () => {
    const config = resolve({});
    assert.equal(config.rateLimitPerSec, 50);
    assert.equal(config.rateLimitBurst, 100);
  });

  for (const junk of ['fast', '50/m', '/s', '0/s', '-5', '5/s/s', '']) {
    it(`refuses ${JSON.stringify(junk)}, naming the flag or the variable it came from`, () => {
      const fromFlag = issuesOf({ flags: { 'rate-limit': junk } });
      assert.deepEqual(
        fromFlag.map((i) => i.path),
        ['--rate-limit'],
      );
      assert.match(fromFlag[0]?.message ?? '', /requests per second/);
      const fromEnv = issuesOf({ env: { PADDOCK_RATE_LIMIT: junk } });
      assert.deepEqual(
        fromEnv.map((i) => i.path),
        ['PADDOCK_RATE_LIMIT'],
      );
    });
  }

  it('a flag wins over the environment, and only the flag is blamed', () => {
    assert.equal(
      resolve({ flags: { 'rate-limit': '7/s' }, env: { PADDOCK_RATE_LIMIT: 'junk' } })
        .rateLimitPerSec,
      7,
    );
    assert.deepEqual(
      issuesOf({ flags: { 'rate-limit': 'junk' }, env: { PADDOCK_RATE_LIMIT: '7' } }).map(
        (i) => i.path,
      ),
      ['--rate-limit'],
    );
  });
});

describe('a setting that is missing', () => {
  it('is named by its flag and its variable, since neither was given', () => {
    assert.deepEqual(issuesOf({ env: { PADDOCK_OIDC_AUDIENCE: 'paddock' } }), [
      {
        path: '--oidc-issuer / PADDOCK_OIDC_ISSUER',
        message: 'OIDC needs both an issuer and an audience',
      },
    ]);
  });
});

describe('paddock up arguments', () => {
  /** The issues of the `validation_failed` that parsing `args` throws. */
  function argIssuesOf(args: string[]): { path: string; message: string }[] {
    try {
      parseServerArgs(args);
    } catch (error) {
      assert.ok(isPaddockError(error, 'validation_failed'), String(error));
      assert.match(error.message, /^invalid arguments: /);
      return error.details.issues as { path: string; message: string }[];
    }
    assert.fail(`accepted ${JSON.stringify(args)}`);
  }

  it('are the flags given, in either spelling', () => {
    assert.deepEqual(parseServerArgs(['--addr', '127.0.0.1:7070', '--rate-limit=50/s']), {
      addr: '127.0.0.1:7070',
      'rate-limit': '50/s',
    });
  });

  it('are help for --help or -h, whatever else is there', () => {
    assert.equal(parseServerArgs(['--help']), 'help');
    assert.equal(parseServerArgs(['-h', '--nonsense']), 'help');
  });

  it('refuse an unknown flag, a flag without a value and a stray argument, all at once', () => {
    assert.deepEqual(argIssuesOf(['--nonsense', 'stray', '--addr']), [
      { path: '--nonsense', message: 'unknown flag of paddock up' },
      { path: 'stray', message: 'paddock up takes no arguments' },
      { path: '--addr', message: 'needs a value' },
    ]);
  });
});

describe('the gateway runs are handed', () => {
  it('on one machine: loopback, a free port, and the host service the local runtime offers', () => {
    const { gateway } = resolve({});
    assert.deepEqual(gateway, {
      addr: { host: '127.0.0.1', port: 0 },
      url: 'http://gateway.paddock.internal',
    });
  });

  it('on a cluster: every interface on 8081, and the Service in the server namespace', () => {
    const inCluster = resolve({ flags: { 'in-cluster': 'true' } }).gateway;
    assert.deepEqual(inCluster, {
      addr: { host: '0.0.0.0', port: 8081 },
      url: 'http://paddock-gateway.paddock-system.svc:8081',
    });
    const elsewhere = resolve({
      flags: { kubeconfig: '/k', 'credentials-namespace': 'ops', 'gateway-addr': '0.0.0.0:9000' },
    }).gateway;
    assert.deepEqual(elsewhere, {
      addr: { host: '0.0.0.0', port: 9000 },
      url: 'http://paddock-gateway.ops.svc:9000',
    });
  });

  it('follows --gateway-url and PADDOCK_GATEWAY_URL, the flag first', () => {
    const url = 'http://llm.paddock-system.svc.cluster.local:8081/';
    assert.equal(
      resolve({ flags: { 'in-cluster': 'true', 'gateway-url': url } }).gateway.url,
      'http://llm.paddock-system.svc.cluster.local:8081',
    );
    assert.equal(
      resolve({
        flags: { 'gateway-url': 'http://a:1' },
        env: { PADDOCK_GATEWAY_URL: 'http://b:2' },
      }).gateway.url,
      'http://a:1',
    );
  });

  it('refuses an address or URL that is none, naming where each came from', () => {
    const issues = issuesOf({
      flags: { 'gateway-addr': 'nowhere' },
      env: { PADDOCK_GATEWAY_URL: 'ftp://x' },
    });
    assert.deepEqual(issues.map((i) => i.path).sort(), ['--gateway-addr', 'PADDOCK_GATEWAY_URL']);
  });
});
