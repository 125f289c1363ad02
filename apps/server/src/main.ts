#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isPaddockError } from '@paddock/core';
import { assertSafeBinding, resolveConfig } from './config.ts';
import { startEngine } from './engine.ts';
import { startServer } from './server.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { addr: { type: 'string' }, home: { type: 'string' } },
    strict: true,
  });
  const config = resolveConfig({ flags: values, env: process.env });
  assertSafeBinding(config);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const engine = await startEngine(config.home, log);
  const server = await startServer(config, log);
  log(`Paddock listening on ${server.url} (data in ${config.home})`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log('shutting down: finishing in-flight requests');
  await server.close();
  await engine.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(isPaddockError(error) ? `paddock: ${error.message}` : `paddock: ${(error as Error).stack}`);
    process.exitCode = 1;
  },
);
