/**
 * What runs inside an `allowlist` sandbox so ordinary programs can use the egress proxy. The
 * sandbox's network namespace has only `lo`, so two socat relays listen on 127.0.0.1 and pass
 * each connection to the proxy's Unix socket, bound into the sandbox at SANDBOX_EGRESS_DIR. Both
 * relays reach the same socket: the proxy tells HTTP from SOCKS5 by the first byte.
 *
 * DNS: programs that use the proxy need none (the proxy resolves names on the host; SOCKS clients
 * should use `socks5h://`, which ALL_PROXY does). Programs that ignore the proxy variables cannot
 * resolve or reach anything, which is the point of the empty network namespace.
 */

/** Directory inside the sandbox where the runtime binds the host directory of the socket. */
export const SANDBOX_EGRESS_DIR = '/run/paddock';
/** File name of the proxy's socket, in the host directory and in SANDBOX_EGRESS_DIR. */
export const EGRESS_SOCKET_NAME = 'egress.sock';
/** The proxy's socket as the sandbox sees it. */
export const SANDBOX_EGRESS_SOCKET = `${SANDBOX_EGRESS_DIR}/${EGRESS_SOCKET_NAME}`;
/** In-sandbox HTTP proxy port (the usual squid port). */
export const BRIDGE_HTTP_PORT = 3128;
/** In-sandbox SOCKS5 port. */
export const BRIDGE_SOCKS_PORT = 1080;

const BRIDGE_HOST = '127.0.0.1';
/** socat's default backlog is 5; a package manager's burst of connections would be dropped. */
const BACKLOG = 4096;
/** How long `withEgressBridge` waits for the relays to listen: 200 polls of 10 ms. */
const READY_POLLS = 200;

export type BridgeOptions = {
  /** socat as found inside the sandbox; default `socat` on PATH. */
  socatPath?: string;
};

/**
 * The argv of each relay, to start as background processes inside the sandbox:
 * `socat TCP4-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr,backlog=4096 UNIX-CONNECT:<socket>`
 * and the same on 1080. socat forks one child per connection, which counts against pids limits.
 */
export function bridgeCommands(
  socketPathInSandbox: string = SANDBOX_EGRESS_SOCKET,
  options: BridgeOptions = {},
): string[][] {
  const socat = options.socatPath ?? 'socat';
  return [BRIDGE_HTTP_PORT, BRIDGE_SOCKS_PORT].map((port) => [
    socat,
    `TCP4-LISTEN:${port},bind=${BRIDGE_HOST},fork,reuseaddr,backlog=${BACKLOG}`,
    `UNIX-CONNECT:${socketPathInSandbox}`,
  ]);
}

/**
 * Environment for processes inside the sandbox: HTTP(S)_PROXY to the HTTP relay, ALL_PROXY to
 * the SOCKS5 relay with remote DNS (`socks5h`), in both cases, and NO_PROXY for loopback.
 * `NODE_USE_ENV_PROXY` makes Node.js's own `fetch` and `http` honour them too (Node ≥ 24).
 */
export function proxyEnv(): Record<string, string> {
  const http = `http://${BRIDGE_HOST}:${BRIDGE_HTTP_PORT}`;
  const socks = `socks5h://${BRIDGE_HOST}:${BRIDGE_SOCKS_PORT}`;
  const noProxy = `localhost,${BRIDGE_HOST}`;
  return {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    ALL_PROXY: socks,
    NO_PROXY: noProxy,
    http_proxy: http,
    https_proxy: http,
    all_proxy: socks,
    no_proxy: noProxy,
    NODE_USE_ENV_PROXY: '1',
  };
}

/**
 * `argv` wrapped so the relays start first: `sh -c <script> paddock-egress <argv…>` starts both
 * relays in the background, waits until both listen (read from /proc/net/tcp, so /proc must be
 * mounted), then execs `argv`. Exits 125 if the relays do not listen within two seconds.
 */
export function withEgressBridge(
  argv: readonly string[],
  socketPathInSandbox: string = SANDBOX_EGRESS_SOCKET,
  options: BridgeOptions = {},
): string[] {
  // Each relay in a session of its own where setsid exists: the relays serve every process of
  // the sandbox, so a signal to the command's process group (a run told to stop) must not end
  // them under a request the command is still making.
  const start = [
    'own=; command -v setsid >/dev/null 2>&1 && own=setsid',
    ...bridgeCommands(socketPathInSandbox, options).map(
      (command) => `$own ${command.map(shellQuote).join(' ')} </dev/null >/dev/null 2>&1 &`,
    ),
  ];
  const listening = [BRIDGE_HTTP_PORT, BRIDGE_SOCKS_PORT].map(
    (port) => `grep -q ' ${procNetTcpAddress(port)} 00000000:0000 0A ' /proc/net/tcp`,
  );
  const script = [
    ...start,
    'i=0',
    `until ${listening.join(' && ')}; do`,
    `  i=$((i + 1)); if [ "$i" -gt ${READY_POLLS} ]; then`,
    "    echo 'paddock: the egress bridge did not start' >&2; exit 125",
    '  fi; sleep 0.01',
    'done',
    'exec "$@"',
  ].join('\n');
  return ['sh', '-c', script, 'paddock-egress', ...argv];
}

/** 127.0.0.1:port as /proc/net/tcp prints a local address (little-endian IP, hex port). */
function procNetTcpAddress(port: number): string {
  return `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
