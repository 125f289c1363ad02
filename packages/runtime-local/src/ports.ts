import { type DuplexStream, ErrorCode, PaddockError, type ProcessHandle } from '@paddock/core';

/** socat's notice once both ends are connected. */
const CONNECTED = 'starting data transfer loop';

export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid port ${port}`, {
      issues: [{ path: 'port', message: 'must be an integer from 1 to 65535' }],
    });
  }
}

/** The command that relays stdin/stdout to `127.0.0.1:port` inside the sandbox. */
export function relayCommand(port: number): string[] {
  return ['socat', '-d', '-d', 'STDIO', `TCP:127.0.0.1:${port}`];
}

/**
 * Turns a running relay into a duplex stream once it has connected: the relay runs inside the
 * sandbox (its network namespace, as the sandbox user), so nothing on the host is exposed.
 * Rejects with `not_found` when nothing listens on the port.
 */
export async function relayStream(handle: ProcessHandle, port: number): Promise<DuplexStream> {
  const reader = handle.stderr.getReader();
  let log = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    log += Buffer.from(value).toString('utf8');
    if (log.includes(CONNECTED)) break;
  }
  if (!log.includes(CONNECTED)) {
    const exit = await handle.exit;
    if (exit.exitCode === 127) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'socat is not installed inside the sandbox',
      );
    }
    const reason = /E (.*)$/m.exec(log)?.[1] ?? `exit ${exit.exitCode}`;
    throw new PaddockError(
      ErrorCode.NotFound,
      `cannot connect to port ${port} in the sandbox: ${reason}`,
      { port },
    );
  }
  // Keep draining socat's log so it never blocks on a full pipe.
  void (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  return {
    readable: handle.stdout,
    writable: handle.stdin,
    close: async () => {
      await handle.signal('SIGTERM').catch(() => {});
      await handle.exit;
    },
  };
}
