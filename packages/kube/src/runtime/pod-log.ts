/**
 * A container's log as a stream: `GET /api/v1/namespaces/NS/pods/POD/log?container=…&follow=true`
 * (stdout and stderr interleaved, as the kubelet keeps them), authenticated as every other request
 * of the client. It ends when the container does, or, quietly, when `signal` aborts (the
 * connection is closed then). `tailLines` starts it that many lines from the end.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { PodTarget } from '../exec/exec-in-pod.ts';

export async function followPodLog(
  client: KubeClient,
  target: PodTarget,
  options: { tailLines?: number; signal?: AbortSignal } = {},
): Promise<ReadableStream<Uint8Array>> {
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`;
  const query = new URLSearchParams({ container: target.container, follow: 'true' });
  if (options.tailLines !== undefined) query.set('tailLines', String(options.tailLines));
  const { url, headers, tls } = await client.upgradeOptions(path, query);
  const http = new URL(url);
  const isPlain = http.protocol === 'ws:';
  http.protocol = isPlain ? 'http:' : 'https:';
  const { signal } = options;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = isPlain ? httpRequest : httpsRequest;
    const request = send(http, { ...tls, method: 'GET', headers, ...(signal && { signal }) });
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
  let isDone = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const end = () => {
        if (isDone) return;
        isDone = true;
        signal?.removeEventListener('abort', stop);
        controller.close();
      };
      const stop = () => {
        response.destroy();
        end();
      };
      if (signal?.aborted) return stop();
      signal?.addEventListener('abort', stop, { once: true });
      response.on('data', (chunk: Buffer) => {
        if (isDone) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) response.pause();
      });
      response.once('end', end);
      response.once('error', (error) => {
        if (isDone) return;
        isDone = true;
        signal?.removeEventListener('abort', stop);
        controller.error(error);
      });
    },
    pull() {
      response.resume();
    },
    cancel() {
      isDone = true;
      response.destroy();
    },
  });
}
