import { createServer, type Server, type Socket } from 'node:net';
import type { PaddockClient, PortForward } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { type Issue, usageError } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { asPaddockError } from '../exit-codes.ts';
import { type Column, formatList } from '../output.ts';

type ForwardedPort = Awaited<ReturnType<PaddockClient['sandboxes']['ports']>>['items'][number];

const Port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a port number')
  .min(1, 'must be 1 to 65535')
  .max(65535, 'must be 1 to 65535');

/** `--local HOST:PORT` (`[::1]:8080` for IPv6); port 0 picks a free one. */
const LocalAddress = z
  .string()
  .regex(/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/, 'must be HOST:PORT')
  .transform((text) => {
    const at = text.lastIndexOf(':');
    return {
      host: text.slice(0, at).replace(/^\[(.*)\]$/, '$1'),
      port: Number(text.slice(at + 1)),
    };
  })
  .refine((a) => a.port <= 65535, 'the port must be 0 to 65535');

const PORT_COLUMNS: Column<ForwardedPort>[] = [
  { header: 'PORT', value: (p) => String(p.port) },
  { header: 'PROTOCOL', value: (p) => p.protocol },
  {
    header: 'PREVIEW URL',
    // Signed and short-lived (5 minutes): open it soon, or list again.
    value: (p) => p.previewUrl ?? '-',
  },
];

/** Listens on `host:port`; when that port is taken and `fallback` allows, on a free one. */
function listen(server: Server, host: string, port: number, fallback: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (fallback && error.code === 'EADDRINUSE') {
        server.listen(0, host);
        return;
      }
      server.off('listening', resolve);
      reject(
        new PaddockError(
          ErrorCode.ValidationFailed,
          `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.on('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    server.listen(port, host);
  });
}

/** Copies bytes both ways until either side closes. */
function relay(socket: Socket, forward: PortForward): void {
  const writer = forward.writable.getWriter();
  socket.on('data', (chunk: Buffer) => {
    socket.pause();
    writer.write(new Uint8Array(chunk)).then(
      () => socket.resume(),
      () => socket.destroy(),
    );
  });
  socket.on('close', () => forward.close());
  socket.on('error', () => forward.close());
  void (async () => {
    try {
      for await (const chunk of forward.readable) {
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      socket.end();
    } catch {
      socket.destroy();
    }
  })();
}

const port: Command = {
  path: ['sandbox', 'port'],
  flags: ['local'],
  help: `Usage: paddock sandbox port NAME [PORT [--local HOST:PORT]] [-n NAMESPACE] [-o …]

Without PORT, lists the ports the sandbox's template declares: PORT, PROTOCOL, PREVIEW URL.
With PORT, forwards a local TCP port to that port of the sandbox until Ctrl-C: each connection
is carried over the server (authenticated and audited). The local address defaults to
127.0.0.1 and the same port number, or a free one if it is taken; port 0 picks a free one.

Examples:
  paddock sandbox port scratch
  paddock sandbox port scratch 8000 --local 127.0.0.1:9000
`,
  async run({ args, invocation, settings, client, io }) {
    const [name, portText, ...extra] = args;
    const issues: Issue[] = extra.map((a) => ({ path: a, message: 'unexpected argument' }));
    if (name === undefined) issues.push({ path: 'NAME', message: 'is required' });
    const target = portText === undefined ? undefined : Port.safeParse(portText);
    for (const issue of target?.error?.issues ?? [])
      issues.push({ path: 'PORT', message: issue.message });
    const localText = invocation.flags.local;
    if (localText !== undefined && portText === undefined)
      issues.push({ path: '--local', message: 'needs a PORT to forward' });
    const local = localText === undefined ? undefined : LocalAddress.safeParse(localText);
    for (const issue of local?.error?.issues ?? [])
      issues.push({ path: '--local', message: issue.message });
    if (issues.length > 0 || name === undefined) throw usageError(issues);
    const scope = { namespace: settings.namespace };
    const ports = await client.sandboxes.ports(name, scope);
    if (target?.data === undefined) {
      io.stdout(
        formatList(ports, {
          format: settings.output,
          columns: PORT_COLUMNS,
          nameOf: (p) => `port/${p.port}`,
          empty: `Sandbox ${name} declares no ports.\n`,
        }),
      );
      return 0;
    }
    const remotePort = target.data;
    if (!ports.items.some((p) => p.port === remotePort)) {
      const declared = ports.items.map((p) => p.port).join(', ') || 'none';
      throw new PaddockError(
        ErrorCode.NotFound,
        `port ${remotePort} is not a port of sandbox ${name}; its template declares ${declared}`,
      );
    }
    const address = local?.data ?? { host: '127.0.0.1', port: remotePort };
    const open = new Set<Socket>();
    // Half-open: a client that stops sending still gets the sandbox's answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.pause();
      client.sandboxes.portForward(name, remotePort, scope).then(
        (forward) => {
          relay(socket, forward);
          socket.resume();
        },
        (error: unknown) => {
          const failure = asPaddockError(error);
          io.stderr(
            `paddock: connection to port ${remotePort} refused: ${failure.code}: ${failure.message}\n`,
          );
          socket.destroy();
        },
      );
    });
    await listen(server, address.host, address.port, local === undefined);
    const bound = server.address();
    const shown =
      bound !== null && typeof bound === 'object'
        ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
        : `${address.host}:${address.port}`;
    io.stdout(`Forwarding ${shown} -> sandbox ${name} port ${remotePort} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    return 0;
  },
};

export const sandboxPortCommands: readonly Command[] = [port];
