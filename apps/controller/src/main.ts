#!/usr/bin/env node
import { homedir } from 'node:os';
import { ErrorCode, isPaddockError } from '@paddock/core';
import {
  installCrds,
  KubeClient,
  PodRuntime,
  paddockCrds,
  resolveObjectOptions,
} from '@paddock/kube';
import {
  controllerUsage,
  harnessObjectOptions,
  resolveControllerConfig,
  serverObjectOptions,
} from './config.ts';
import { copyHarness, parseCopyArgs } from './harness-copy.ts';
import { startKubeController } from './kube-controller.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  // The init container of a sandbox pod (Paddock's image): the run harness into its emptyDir.
  if (process.argv[2] === 'copy-harness') {
    const { to, clis } = parseCopyArgs(process.argv.slice(3));
    const copied = copyHarness(to, clis);
    log(
      `copied the harness to ${to}: ${copied.packages} packages, ${copied.files} files, ${copied.bytes} bytes`,
    );
    for (const cli of copied.missing) {
      log(`not in this image, not copied: the ${cli} CLI (a run of its kind fails naming it)`);
    }
    return 0;
  }
  const config = resolveControllerConfig(process.argv.slice(2), process.env, homedir());
  if (config === 'help') {
    process.stdout.write(controllerUsage());
    return 0;
  }
  const clientOptions = {
    userAgent: 'paddock-controller',
    qps: config.kubeQps,
    burst: config.kubeBurst,
  };
  const client =
    config.kubeconfig === undefined
      ? await KubeClient.inCluster(clientOptions)
      : await KubeClient.fromKubeconfig(config.kubeconfig, clientOptions);
  if (config.installCrds) {
    log('applying Paddock CRDs');
    await installCrds(client, paddockCrds());
  }
  const controller = await startKubeController({
    client,
    runtime: new PodRuntime(client, {
      objects: resolveObjectOptions({
        ...serverObjectOptions(config),
        ...harnessObjectOptions(config),
        defaultImage: config.defaultImage,
      }),
    }),
    identity: config.identity,
    namespace: config.namespace,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    metricsAddr: config.metricsAddr,
    log,
  });
  log(
    `paddock controller ${config.identity} for ${client.server}: metrics listening on ${controller.metricsUrl}`,
  );
  const stopped = new Promise<'stopped'>((resolve) => {
    process.once('SIGTERM', () => resolve('stopped'));
    process.once('SIGINT', () => resolve('stopped'));
    // Started by `paddock controller`: its end (a closed stdin pipe) is ours too.
    if (process.env.PADDOCK_EXIT_WITH_PARENT === '1') {
      process.stdin.once('close', () => resolve('stopped'));
      process.stdin.resume();
    }
  });
  const why = await Promise.race([stopped, controller.ended.then(() => 'ended' as const)]);
  process.stdin.destroy();
  await controller.stop();
  client.close();
  if (why === 'ended') {
    // Leadership lost: exit so that the pod restarts as a fresh candidate, as client-go does.
    log('leadership lost: exiting');
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isPaddockError(error)) {
      log(`paddock controller: ${error.message}`);
      process.exitCode = error.code === ErrorCode.ValidationFailed ? 2 : 1;
    } else {
      log(`paddock controller: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    }
  },
);
