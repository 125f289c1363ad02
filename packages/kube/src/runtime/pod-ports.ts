/**
 * `connectPort` on a pod: a probe first, reading `/proc/net/tcp` and `tcp6` through exec for a
 * socket in LISTEN on the port (the kubelet reports a refused connection only after the upgrade),
 * then `forwardPort` (`pods/portforward`).
 */
import { type DuplexStream, ErrorCode, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { PodTarget } from '../exec/exec-in-pod.ts';
import { forwardPort } from '../exec/port-forward.ts';
import { runScript } from './run-script.ts';

const LISTEN = '0A';

export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PaddockError(ErrorCode.ValidationFailed, `port ${port} is no TCP port`, {
      issues: [{ path: 'port', message: 'must be a whole number from 1 to 65535' }],
    });
  }
}

/** Whether a line of /proc/net/tcp{,6} is a listening socket on `port`. */
export function isListening(procNetTcp: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return procNetTcp.split('\n').some((line) => {
    const [, local = '', , state = ''] = line.trim().split(/\s+/);
    return state === LISTEN && local.endsWith(`:${hex}`);
  });
}

export async function connectPodPort(
  client: KubeClient,
  target: PodTarget,
  port: number,
): Promise<DuplexStream> {
  checkPort(port);
  const probe = await runScript(client, target, [
    '/bin/sh',
    '-c',
    'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; exit 0',
  ]);
  if (!isListening(probe.stdout, port)) {
    throw new PaddockError(
      ErrorCode.NotFound,
      `nothing listens on port ${port} in pod ${target.pod}`,
      { port },
    );
  }
  return forwardPort(client, { namespace: target.namespace, pod: target.pod, port });
}
