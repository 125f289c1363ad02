// Test support (not exported): a stand-in API server, a client for it, and helpers that run a
// handle to its end.
import type { ExitStatus, ProcessHandle } from '@paddock/core';
import { KubeClient } from '../client/kube-client.ts';
import type { ChannelProtocol } from './channel-protocol.ts';
import { type PodStandIn, startPodStandIn } from './stand-in-pods.ts';

export const POD = { namespace: 'team-a', pod: 'box', container: 'main' } as const;

export type Fixture = { standIn: PodStandIn; client: KubeClient; close(): Promise<void> };

export async function startFixture(execProtocols?: ChannelProtocol[]): Promise<Fixture> {
  const standIn = await startPodStandIn({
    pods: [{ namespace: POD.namespace, name: POD.pod, containers: [POD.container] }],
    ...(execProtocols ? { execProtocols } : {}),
  });
  const client = await KubeClient.fromKubeconfig(standIn.kubeconfig);
  return {
    standIn,
    client,
    close: async () => {
      client.close();
      await standIn.close();
    },
  };
}

export async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return Buffer.from(await readBytes(stream)).toString('utf8');
}

export async function readBytes(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Closes stdin and reads everything: stdout, stderr and the exit. */
export async function toEnd(
  handle: ProcessHandle,
  input?: string,
): Promise<{ stdout: string; stderr: string; exit: ExitStatus }> {
  const writer = handle.stdin.getWriter();
  if (input !== undefined) await writer.write(Buffer.from(input));
  await writer.close();
  const [stdout, stderr, exit] = await Promise.all([
    readText(handle.stdout),
    readText(handle.stderr),
    handle.exit,
  ]);
  return { stdout, stderr, exit };
}
