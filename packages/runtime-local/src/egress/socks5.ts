import type { Socket } from 'node:net';
import { canonicalHost } from './allowlist.ts';
import { type Dialer, DialFailure, type EgressEvent, EgressProtocol } from './egress-dialer.ts';
import { joinSockets } from './tunnel.ts';

/** The first byte of every SOCKS5 greeting; how the proxy tells SOCKS5 from HTTP. */
export const SOCKS5_VERSION = 0x05;

/** SOCKS5 reply codes (RFC 1928 §6). */
export const Socks5Reply = {
  Succeeded: 0x00,
  GeneralFailure: 0x01,
  NotAllowed: 0x02,
  HostUnreachable: 0x04,
  ConnectionRefused: 0x05,
  CommandNotSupported: 0x07,
  AddressTypeNotSupported: 0x08,
} as const;
export type Socks5Reply = (typeof Socks5Reply)[keyof typeof Socks5Reply];

const NO_AUTH = 0x00;
const NO_ACCEPTABLE_METHOD = 0xff;
const CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;
/** Longest greeting (2 + 255 methods) plus the longest request (7 + 255-byte name). */
const MAX_HANDSHAKE_BYTES = 257 + 262;

export type Socks5Options = {
  dial: Dialer;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  log: (event: EgressEvent) => void;
};

type Parsed<T> =
  | { kind: 'incomplete' }
  | { kind: 'invalid' }
  | ({ kind: 'ok'; length: number } & T);

type Request =
  | { command: number; host: string; port: number }
  | { command: number; host: undefined; port: number; addressType: number };

/**
 * Serve one SOCKS5 client (RFC 1928): no authentication, CONNECT only, addresses as domain
 * names, IPv4 or IPv6. The destination goes through the same dialer as HTTP, so a refused host
 * gets reply 0x02 and no upstream connection is made.
 */
export function serveSocks5(client: Socket, options: Socks5Options): void {
  let buffer = Buffer.alloc(0);
  let hasGreeted = false;
  const timer = setTimeout(() => client.destroy(), options.handshakeTimeoutMs);
  client.once('close', () => clearTimeout(timer));
  client.on('end', onEnd);
  client.on('data', onData);

  // A client that half-closes mid-handshake gets what was already written, then the close.
  function onEnd() {
    client.end();
  }

  function malformed(message: string) {
    options.log({ protocol: EgressProtocol.Socks5, outcome: 'malformed', message });
    client.destroy();
  }

  function onData(chunk: Buffer) {
    buffer = Buffer.concat([buffer, chunk]);
    if (buffer.length > MAX_HANDSHAKE_BYTES) return malformed('handshake too long');
    if (!hasGreeted) {
      const greeting = parseGreeting(buffer);
      if (greeting.kind === 'incomplete') return;
      if (greeting.kind === 'invalid') return malformed('not a SOCKS5 greeting');
      if (!greeting.methods.includes(NO_AUTH)) {
        client.off('data', onData);
        return finish(client, Buffer.from([SOCKS5_VERSION, NO_ACCEPTABLE_METHOD]));
      }
      client.write(Buffer.from([SOCKS5_VERSION, NO_AUTH]));
      hasGreeted = true;
      buffer = buffer.subarray(greeting.length);
    }
    const request = parseRequest(buffer);
    if (request.kind === 'incomplete') return;
    if (request.kind === 'invalid') return malformed('not a SOCKS5 request');
    client.off('data', onData);
    client.pause();
    if (request.command !== CONNECT) return reply(client, Socks5Reply.CommandNotSupported);
    if (request.host === undefined) {
      const isBadName = request.addressType === ATYP_DOMAIN;
      options.log({
        protocol: EgressProtocol.Socks5,
        outcome: 'malformed',
        message: isBadName ? 'invalid domain name' : 'unknown address type',
      });
      return reply(
        client,
        isBadName ? Socks5Reply.NotAllowed : Socks5Reply.AddressTypeNotSupported,
      );
    }
    open(request.host, request.port, buffer.subarray(request.length)).catch(() => client.destroy());
  }

  async function open(host: string, port: number, early: Buffer) {
    const result = await options.dial(EgressProtocol.Socks5, host, port);
    if (!result.isOpen) return reply(client, socksReply(result.failure));
    if (client.destroyed) return result.socket.destroy();
    clearTimeout(timer);
    client.off('end', onEnd);
    // The bound address is not meaningful through a proxy; clients ignore 0.0.0.0:0.
    client.write(
      Buffer.from([SOCKS5_VERSION, Socks5Reply.Succeeded, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]),
    );
    if (early.length > 0) result.socket.write(early);
    joinSockets(client, result.socket, options.idleTimeoutMs);
    client.resume();
  }
}

function reply(client: Socket, code: Socks5Reply): void {
  finish(client, Buffer.from([SOCKS5_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]));
}

/** Send the last bytes of a refused handshake and close our side. */
function finish(client: Socket, bytes: Buffer): void {
  if (client.destroyed) return;
  // Read on (discarding), so the client's close is seen rather than left to the timer.
  client.resume();
  client.end(bytes);
}

function socksReply(failure: DialFailure): Socks5Reply {
  switch (failure) {
    case DialFailure.NotAllowed:
    case DialFailure.DeniedAddress:
      return Socks5Reply.NotAllowed;
    case DialFailure.Refused:
      return Socks5Reply.ConnectionRefused;
    case DialFailure.Unresolvable:
    case DialFailure.Unreachable:
    case DialFailure.TimedOut:
      return Socks5Reply.HostUnreachable;
  }
}

function parseGreeting(data: Buffer): Parsed<{ methods: readonly number[] }> {
  const [version, count] = data;
  if (version === undefined || count === undefined) return { kind: 'incomplete' };
  if (version !== SOCKS5_VERSION || count === 0) return { kind: 'invalid' };
  if (data.length < 2 + count) return { kind: 'incomplete' };
  return { kind: 'ok', length: 2 + count, methods: [...data.subarray(2, 2 + count)] };
}

function parseRequest(data: Buffer): Parsed<Request> {
  const [version, command, reserved, addressType, nameLength] = data;
  if (version === undefined || command === undefined || addressType === undefined) {
    return { kind: 'incomplete' };
  }
  if (version !== SOCKS5_VERSION || reserved !== 0) return { kind: 'invalid' };
  const addressLength = addressLengths[addressType];
  if (addressLength === undefined) {
    return { kind: 'ok', length: data.length, command, host: undefined, port: 0, addressType };
  }
  if (addressType === ATYP_DOMAIN && nameLength === undefined) return { kind: 'incomplete' };
  const length = 4 + addressLength(nameLength ?? 0) + 2;
  if (data.length < length) return { kind: 'incomplete' };
  const address = data.subarray(4, length - 2);
  const port = data.readUInt16BE(length - 2);
  const host = hostOf(addressType, address);
  if (host === undefined) return { kind: 'ok', length, command, host, port, addressType };
  return { kind: 'ok', length, command, host, port };
}

const addressLengths: Readonly<Record<number, (nameLength: number) => number>> = {
  [ATYP_IPV4]: () => 4,
  [ATYP_DOMAIN]: (nameLength) => 1 + nameLength,
  [ATYP_IPV6]: () => 16,
};

function hostOf(addressType: number, address: Buffer): string | undefined {
  switch (addressType) {
    case ATYP_IPV4:
      return address.join('.');
    case ATYP_IPV6: {
      const groups = [];
      for (let i = 0; i < 16; i += 2) groups.push(address.readUInt16BE(i).toString(16));
      return canonicalHost(groups.join(':'));
    }
    case ATYP_DOMAIN:
      return canonicalHost(address.subarray(1).toString('latin1'));
    default:
      return undefined;
  }
}
