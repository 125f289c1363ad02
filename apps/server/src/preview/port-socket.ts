import { Duplex } from 'node:stream';
import type { DuplexStream } from '@paddock/core';

/**
 * A Node `Duplex` over a runtime port stream, with the few `net.Socket` methods node's HTTP
 * client calls (`setNoDelay`, `setKeepAlive`, `setTimeout`, `ref`, `unref`) as no-ops, so
 * `http.request({createConnection})` can speak HTTP/1.1 over it. Destroying it closes the
 * stream (the relay inside the sandbox ends).
 */
export function portSocket(stream: DuplexStream): Duplex {
  const duplex = Duplex.fromWeb(
    { readable: stream.readable, writable: stream.writable },
    { allowHalfOpen: true },
  );
  duplex.once('close', () => void stream.close().catch(() => {}));
  return Object.assign(duplex, {
    setNoDelay: () => duplex,
    setKeepAlive: () => duplex,
    setTimeout: () => duplex,
    ref: () => duplex,
    unref: () => duplex,
  });
}
