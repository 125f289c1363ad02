import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import {
  cliConfigPath,
  deleteContext,
  EMPTY_CONFIG,
  forgetToken,
  loadCliConfig,
  saveCliConfig,
  selectContext,
  upsertContext,
  useContext,
} from './cli-config.ts';
import { DEFAULT_SERVER, resolveSettings } from './cli-options.ts';

const dir = mkdtempSync(join(tmpdir(), 'paddock-cli-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const prod = {
  name: 'prod',
  server: 'https://paddock.example.com',
  token: 'pdk_prod',
  namespace: 'team',
};
const local = { name: 'local', server: 'http://127.0.0.1:7070' };

describe('config file', () => {
  it('is $HOME/.paddock/config.yaml unless PADDOCK_CONFIG names another', () => {
    assert.equal(cliConfigPath({ HOME: '/home/ada' }), '/home/ada/.paddock/config.yaml');
    assert.equal(
      cliConfigPath({ HOME: '/home/ada', PADDOCK_CONFIG: '/etc/p.yaml' }),
      '/etc/p.yaml',
    );
  });

  it('reads a missing file as no contexts', () => {
    assert.deepEqual(loadCliConfig(join(dir, 'absent.yaml')), EMPTY_CONFIG);
  });

  it('writes mode 0600 in a 0700 directory, atomically, and reads back what it wrote', () => {
    const path = join(dir, 'fresh', 'config.yaml');
    const config = upsertContext(upsertContext(EMPTY_CONFIG, local), prod);
    saveCliConfig(path, config);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'fresh')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(dir, 'fresh')), ['config.yaml']);
    assert.deepEqual(loadCliConfig(path), config);
    assert.equal(loadCliConfig(path).currentContext, 'prod');
  });

  it('names the file and each bad field of a broken file', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(
      path,
      'currentContext: x\ncontexts:\n  - name: a\n    server: ftp://x\n  - sever: y\n',
    );
    assert.throws(
      () => loadCliConfig(path),
      (error: unknown) =>
        isPaddockError(error) &&
        error.code === 'validation_failed' &&
        error.message.includes(path) &&
        error.message.includes('contexts[0].server') &&
        error.message.includes('contexts[1].name'),
    );
    writeFileSync(path, 'contexts: [unclosed\n');
    assert.throws(
      () => loadCliConfig(path),
      (error: unknown) =>
        isPaddockError(error) && error.code === 'validation_failed' && error.message.includes(path),
    );
  });
});

describe('contexts', () => {
  const config = upsertContext(upsertContext(EMPTY_CONFIG, prod), local);

  it('selects the named context, else the current one; an unknown name is not_found', () => {
    assert.equal(selectContext(config, undefined)?.name, 'local');
    assert.equal(selectContext(config, 'prod')?.name, 'prod');
    assert.equal(selectContext(EMPTY_CONFIG, undefined), undefined);
    assert.throws(() => selectContext(config, 'nope'), { code: 'not_found' });
    assert.equal(selectContext(config, 'nope', { isNewAllowed: true }), undefined);
  });

  it('replaces a context of the same name, switches, deletes and forgets keys', () => {
    const updated = upsertContext(config, { ...prod, token: 'pdk_new' });
    assert.equal(updated.contexts.length, 2);
    assert.equal(updated.contexts.find((c) => c.name === 'prod')?.token, 'pdk_new');
    assert.equal(useContext(config, 'prod').currentContext, 'prod');
    assert.throws(() => useContext(config, 'nope'), { code: 'not_found' });
    const deleted = deleteContext(config, 'local');
    assert.deepEqual(deleted, { currentContext: '', contexts: [prod] });
    const forgotten = forgetToken(config, 'prod');
    assert.deepEqual(
      forgotten.contexts.find((c) => c.name === 'prod'),
      {
        name: 'prod',
        server: prod.server,
        namespace: 'team',
      },
    );
  });
});

describe('settings with a context', () => {
  const none = {};

  it('resolve flag > environment > context > default', () => {
    assert.deepEqual(resolveSettings(none, {}, [], prod), {
      server: prod.server,
      token: prod.token,
      namespace: 'team',
      output: 'table',
    });
    const env = { PADDOCK_NAMESPACE: 'env-ns', PADDOCK_TOKEN: 'pdk_env' };
    assert.equal(resolveSettings(none, env, [], prod).namespace, 'env-ns');
    assert.equal(resolveSettings(none, env, [], prod).token, 'pdk_env');
    assert.equal(resolveSettings({ namespace: 'flag-ns' }, env, [], prod).namespace, 'flag-ns');
    assert.equal(resolveSettings(none, {}).server, DEFAULT_SERVER);
  });

  it("never sends a context's key to a server named by flag or environment", () => {
    const elsewhere = resolveSettings(none, { PADDOCK_URL: 'http://other:1' }, [], prod);
    assert.equal(elsewhere.server, 'http://other:1');
    assert.equal(elsewhere.token, undefined);
    assert.equal(resolveSettings({ server: prod.server }, {}, [], prod).token, prod.token);
  });
});

it('the written file holds exactly the config, as YAML', () => {
  const path = join(dir, 'plain.yaml');
  saveCliConfig(path, upsertContext(EMPTY_CONFIG, local));
  assert.equal(
    readFileSync(path, 'utf8'),
    'currentContext: local\ncontexts:\n  - name: local\n    server: http://127.0.0.1:7070\n',
  );
});
