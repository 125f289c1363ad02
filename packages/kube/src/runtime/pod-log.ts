/**
 * A container's log as a stream: `GET /api/v1/namespaces/NS/pods/POD/log?container=…&follow=true`
 * (stdout and stderr interleaved, as the kubelet keeps them), authenticated as every other request
 * of the client. It ends when the container does.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { PodTarget } from '../exec/exec-in-pod.ts';

export async function followPodLog(
  client: KubeClient,
  target: PodTarget,
): Promise<ReadableStream<Uint8Array>> {
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`;
  const query = new URLSearchParams({ container: target.container, follow: 'true' });
  const { url, headers, tls } = await client.upgradeOptions(path, query);
  const http = new URL(url);
  const isPlain = http.protocol === 'ws:';
  http.protocol = isPlain ? 'http:' : 'https:';
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = isPlain ? httpRequest : httpsRequest;
    const request = send(http, { ...tls, method: 'GET', headers });
    request.once('response', resolve);
    request.once('error', reject);
    request.end();
  }).catch((error: Error) => {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `pod log ${path}: ${error.message}`);
  });
  if ((response.statusCode ?? 0) >= 300) {
    response.resume();
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `pod log ${path}: HTTP ${response.statusCode}`,
    );
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      response.on('data', (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) response.pause();
      });
      response.once('end', () => controller.close());
      response.once('error', (error) => controller.error(error));
    },
    pull() {
      response.resume();
    },
    cancel() {
      response.destroy();
    },
  });
}
