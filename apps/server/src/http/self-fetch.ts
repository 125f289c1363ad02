import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

export type SelfFetch = {
  /** `fetch` for this server's own https listener, and nothing else. */
  fetch: typeof fetch;
  close(): Promise<void>;
};

/**
 * The server calling itself over its own TLS (the MCP surface's tools call the REST API): the
 * peer must present exactly this server's certificate (`certPem`, its first one), whatever the
 * name it is dialled by (a wildcard bind is dialled on loopback, which a certificate for a
 * public name does not cover) and whoever signed it.
 */
export function createSelfFetch(certPem: string): SelfFetch {
  const own = new X509Certificate(certPem).fingerprint256;
  // A resumed session shows no certificate to compare: every connection makes a full handshake.
  const connectTls = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  const agent = new Agent({
    connect: (options, callback) =>
      connectTls(options, (error, socket) => {
        if (error !== null) return callback(error, null);
        const peer = (socket as TLSSocket).getPeerX509Certificate?.();
        if (peer?.fingerprint256 === own) return callback(null, socket);
        socket.destroy();
        return callback(new Error("the server's own address presented another certificate"), null);
      }),
  });
  const selfFetch = (input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  return { fetch: selfFetch as typeof fetch, close: () => agent.close() };
}
