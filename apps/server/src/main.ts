#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { KubeClient } from '@paddock/kube';
import { bootstrapAdminKey } from './bootstrap-key.ts';
import {
  assertSafeBinding,
  parseServerArgs,
  resolveConfig,
  serverUsage,
  upstreamsOf,
} from './config.ts';
import { startEngine } from './engine.ts';
import { startServer } from './server.ts';
import { readTlsFiles } from './tls-files.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const DAY_MS = 24 * 60 * 60 * 1000;

async function main(): Promise<number> {
  const flags = parseServerArgs(process.argv.slice(2));
  if (flags === 'help') {
    process.stdout.write(serverUsage());
    return 0;
  }
  const config = resolveConfig({ flags, env: process.env });
  assertSafeBinding(config);
  // Bad TLS files fail here, before anything starts (the server reads them again to listen).
  readTlsFiles(config.tls, config.addr.host);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const client =
    config.kubeconfig !== undefined
      ? await KubeClient.fromKubeconfig(config.kubeconfig, { userAgent: 'paddock-server' })
      : config.inCluster
        ? await KubeClient.inCluster({ userAgent: 'paddock-server' })
        : undefined;
  const engine = await startEngine(config.home, log, {
    upstreams: upstreamsOf(config),
    gateway: config.gateway,
    ...(client === undefined
      ? {}
      : { cluster: { client, credentialsNamespace: config.credentialsNamespace } }),
    ...(config.database === undefined ? {} : { database: config.database }),
  });
  if (config.isAuthRequired) {
    const bootstrap = await bootstrapAdminKey(engine.apiKeys, config.bootstrapAdminKey, new Date());
    if (bootstrap?.key !== undefined) {
      log(`created the first admin API key (shown once, store it now):\n\n  ${bootstrap.key}\n`);
    } else if (bootstrap !== undefined) {
      log(`installed PADDOCK_BOOTSTRAP_ADMIN_KEY as admin key ${bootstrap.id}`);
    }
  }
  const prune = () =>
    engine.auditLog
      .prune(new Date(Date.now() - config.auditRetentionDays * DAY_MS))
      .catch((error: unknown) => log(`audit prune failed: ${(error as Error).message}`));
  await prune();
  const pruneTimer = setInterval(() => void prune(), DAY_MS);
  pruneTimer.unref();
  const server = await startServer(config, engine, log).catch(async (error: unknown) => {
    // Nothing may keep a server that cannot listen alive: its reconcilers and stores end here.
    clearInterval(pruneTimer);
    await engine.close();
    throw addressInUse(error) ?? error;
  });
  log(
    `Paddock listening on ${server.url} (data in ${config.home}${client === undefined ? '' : `; resources and sandboxes in the cluster at ${client.server}`})`,
  );
  log(`previews on ${server.previewUrl}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    // Started by `paddock up`: its end (a closed stdin pipe) is ours too.
    if (process.env.PADDOCK_EXIT_WITH_PARENT === '1') {
      process.stdin.once('close', resolve);
      process.stdin.resume();
    }
  });
  // A stdin still read would keep the process alive after shutdown.
  process.stdin.destroy();
  log('shutting down: finishing in-flight requests');
  clearInterval(pruneTimer);
  await server.close();
  await engine.close();
  client?.close();
  return 0;
}

/**
 * A listen address another process holds (another `paddock up`, whatever its home): a clear
 * error rather than a stack, since two servers never share a port.
 */
function addressInUse(error: unknown): PaddockError | undefined {
  const listen = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (listen.code !== 'EADDRINUSE') return undefined;
  const where = `${listen.address ?? ''}:${listen.port ?? ''}`;
  return new PaddockError(
    ErrorCode.Conflict,
    `${where} is already in use (by another paddock up?): pass --addr (or --preview-addr) with another port, or port 0 for a free one`,
  );
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
