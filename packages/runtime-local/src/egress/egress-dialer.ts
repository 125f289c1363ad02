import { lookup } from 'node:dns/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { deniedAddressReason } from './address-policy.ts';
import { canonicalHost, isDomainAllowed } from './allowlist.ts';

/** The protocol a client used to ask the proxy for a destination. */
export const EgressProtocol = { Http: 'http', Connect: 'connect', Socks5: 'socks5' } as const;
export type EgressProtocol = (typeof EgressProtocol)[keyof typeof EgressProtocol];

/** Why a destination could not be opened. Each protocol maps these to its own reply codes. */
export const DialFailure = {
  /** The host is not on the allowlist (an IP literal counts only when listed itself). */
  NotAllowed: 'not_allowed',
  /** The name is listed, but every address it resolves to is loopback, private or reserved. */
  DeniedAddress: 'denied_address',
  /** DNS has no address for the name. */
  Unresolvable: 'unresolvable',
  /** The destination refused the TCP connection. */
  Refused: 'refused',
  /** Any other network failure on the way to the destination. */
  Unreachable: 'unreachable',
  /** No connection within `connectTimeoutMs`. */
  TimedOut: 'timed_out',
} as const;
export type DialFailure = (typeof DialFailure)[keyof typeof DialFailure];

/**
 * A `host:port` a sandbox may reach that the proxy dials at a fixed address, without DNS and
 * without the private-address check: the operator chose the address, not whoever runs DNS. This
 * is how a sandbox reaches a service on the host (the LLM gateway on 127.0.0.1), and how tests
 * reach a local upstream. Only the exact host and port are opened this way.
 */
export type HostService = {
  /** The name the sandbox asks for, e.g. `gateway.paddock.internal`. */
  host: string;
  /** The port the sandbox asks for, e.g. 80. */
  port: number;
  /** Where the proxy connects instead: an IP literal and a port. */
  target: { address: string; port: number };
};

/** One decision of the proxy, for the audit log. Messages are the ones the client was given. */
export type EgressEvent =
  | { protocol: EgressProtocol; outcome: 'allowed'; host: string; port: number }
  | { protocol: EgressProtocol; outcome: DialFailure; host: string; port: number; message: string }
  | { protocol: EgressProtocol; outcome: 'malformed'; message: string };

export type DialResult =
  | { isOpen: true; socket: Socket }
  | { isOpen: false; failure: DialFailure; message: string };

/** Open `host:port` for a client; `host` must already be canonical (see canonicalHost). */
export type Dialer = (protocol: EgressProtocol, host: string, port: number) => Promise<DialResult>;

export type DialerOptions = {
  allowedDomains: readonly string[];
  hostServices: readonly HostService[];
  connectTimeoutMs: number;
  /** Called with every socket the dialer creates, so the proxy can destroy it on close. */
  track: (socket: Socket) => void;
  log: (event: EgressEvent) => void;
};

type Refusal = Extract<DialResult, { isOpen: false }>;
type Plan = { isOpen?: undefined; addresses: readonly string[]; port: number } | Refusal;

/**
 * Build the one function every protocol uses to open a destination: allowlist check, DNS on the
 * host, the resolved-address check, then a TCP connection to an address that passed the check
 * (the name is never resolved twice, so a DNS answer cannot change in between).
 */
export function createDialer(options: DialerOptions): Dialer {
  const services = new Map(
    options.hostServices.map((s) => [`${canonicalHost(s.host) ?? ''} ${s.port}`, s.target]),
  );

  async function plan(host: string, port: number): Promise<Plan> {
    const service = services.get(`${host} ${port}`);
    if (service !== undefined) {
      return { addresses: [service.address], port: service.port };
    }
    if (!isDomainAllowed(host, options.allowedDomains)) {
      return refuse(DialFailure.NotAllowed, `${host} is not on this sandbox's allowlist`);
    }
    // A listed IP literal is an explicit choice and is dialled as it is.
    if (isIP(host) !== 0) return { addresses: [host], port };
    const resolved = await resolve(host, options.connectTimeoutMs);
    if (resolved === undefined) {
      return refuse(DialFailure.Unresolvable, `${host} could not be resolved`);
    }
    const reasons = resolved.map((r) => deniedAddressReason(r.address));
    const addresses = resolved.filter((_, i) => reasons[i] === undefined).map((r) => r.address);
    if (addresses.length > 0) return { addresses, port };
    const reason = reasons.find((r) => r !== undefined) ?? 'no address';
    return refuse(
      DialFailure.DeniedAddress,
      `${host} resolves to ${reason}, which sandboxes may not reach`,
    );
  }

  return async (protocol, host, port) => {
    const decided = isPort(port)
      ? await plan(host, port)
      : refuse(DialFailure.Unreachable, `port ${port} is not a TCP port`);
    const result =
      decided.isOpen === false
        ? decided
        : await connectFirst(decided.addresses, decided.port, options);
    options.log(
      result.isOpen
        ? { protocol, host, port, outcome: 'allowed' }
        : { protocol, host, port, outcome: result.failure, message: result.message },
    );
    return result;
  };
}

/** Whether `port` is a TCP port a client may ask for (1-65535). */
export function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** The host's resolver (getaddrinfo: /etc/hosts, then DNS), or undefined on failure or timeout. */
async function resolve(
  host: string,
  timeoutMs: number,
): Promise<readonly { address: string }[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((settle) => {
    timer = setTimeout(settle, timeoutMs, undefined);
  });
  const answered = lookup(host, { all: true, order: 'verbatim' }).catch(() => undefined);
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function refuse(failure: DialFailure, message: string): Refusal {
  return { isOpen: false, failure, message: `paddock egress: ${message}` };
}

/** Try each address in turn until one connects, all within one `connectTimeoutMs` deadline. */
async function connectFirst(
  addresses: readonly string[],
  port: number,
  options: DialerOptions,
): Promise<DialResult> {
  const deadline = Date.now() + options.connectTimeoutMs;
  let failure: DialFailure = DialFailure.Unreachable;
  for (const address of addresses) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) break;
    const attempt = await connectOnce(address, port, remainingMs, options.track);
    if (attempt.isOpen) return attempt;
    failure = attempt.failure;
  }
  return { isOpen: false, failure, message: `paddock egress: upstream ${failureText(failure)}` };
}

function connectOnce(
  address: string,
  port: number,
  timeoutMs: number,
  track: (socket: Socket) => void,
): Promise<{ isOpen: true; socket: Socket } | { isOpen: false; failure: DialFailure }> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port, allowHalfOpen: true });
    track(socket);
    let isSettled = false;
    const settle = (failure?: DialFailure) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      if (failure === undefined) return resolve({ isOpen: true, socket });
      socket.destroy();
      resolve({ isOpen: false, failure });
    };
    const timer = setTimeout(() => settle(DialFailure.TimedOut), timeoutMs);
    socket.once('connect', () => settle());
    socket.once('close', () => settle(DialFailure.Unreachable));
    // Stays attached: errors after the connect end in 'close', which the protocols handle.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      settle(error.code === 'ECONNREFUSED' ? DialFailure.Refused : DialFailure.Unreachable),
    );
  });
}

function failureText(failure: DialFailure): string {
  switch (failure) {
    case DialFailure.Refused:
      return 'refused the connection';
    case DialFailure.TimedOut:
      return 'did not answer in time';
    case DialFailure.NotAllowed:
    case DialFailure.DeniedAddress:
    case DialFailure.Unresolvable:
    case DialFailure.Unreachable:
      return 'is unreachable';
  }
}
