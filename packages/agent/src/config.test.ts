// resolveConfig: precedence (flag > env > file > default) and errors naming the field.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { resolveConfig } from './config.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-agent-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function configFile(content: unknown): Promise<string> {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

function resolved(argv: string[], env: Record<string, string> = {}) {
  const parsed = resolveConfig(argv, { ANTHROPIC_API_KEY: 'k', ...env });
  assert.equal(parsed.isHelp, false);
  if (parsed.isHelp) throw new Error('unreachable');
  return parsed.config;
}

test('flag > env > file > default', async () => {
  const file = await configFile({
    provider: 'anthropic',
    model: 'file-model',
    baseUrl: 'http://file.invalid',
    prompt: 'from file',
    budget: { maxTurns: 5, maxTokens: 1000 },
    cwd: dir,
  });
  const config = resolved(['--config', file, '--model', 'flag-model', '--max-turns', '7'], {
    ANTHROPIC_BASE_URL: 'http://env.invalid',
  });
  assert.equal(config.model, 'flag-model');
  assert.equal(config.baseUrl, 'http://env.invalid');
  assert.equal(config.prompt, 'from file');
  assert.deepEqual(config.budget, { maxTurns: 7, maxTokens: 1000 });
  assert.equal(config.mode, 'task');
  assert.equal(config.retry.maxRetries, 4);
  assert.deepEqual(config.mcpServers, []);
});

test('the API key comes from the provider variable only', async () => {
  const config = resolved(['--provider', 'openai', '--model', 'm', '--prompt', 'p', '--cwd', dir], {
    OPENAI_API_KEY: 'openai-key',
  });
  assert.equal(config.apiKey, 'openai-key');
  const file = await configFile({
    provider: 'anthropic',
    model: 'm',
    prompt: 'p',
    apiKey: 'leaked',
  });
  assert.throws(() => resolved(['--config', file]), /apiKey: must come from the environment/);
});

test('every bad field is named', () => {
  try {
    resolveConfig(['--mode', 'daemon', '--max-retries=-1'], {});
    assert.fail('expected a validation error');
  } catch (error) {
    assert.ok(isPaddockError(error, 'validation_failed'));
    for (const field of [
      'provider',
      'model',
      'apiKey',
      'retry.maxRetries',
      'listen',
      'daemonToken',
    ]) {
      assert.match(error.message, new RegExp(`${field.replace('.', '\\.')}: `), field);
    }
  }
});

test('task mode needs a prompt', () => {
  assert.throws(
    () => resolved(['--provider', 'anthropic', '--model', 'm', '--cwd', dir]),
    /prompt: is required in task mode/,
  );
});

test('a config file that is not JSON names the file', async () => {
  const path = join(dir, 'broken.json');
  await writeFile(path, '{nope');
  assert.throws(() => resolved(['--config', path]), /config: .*broken\.json is not JSON/);
});
