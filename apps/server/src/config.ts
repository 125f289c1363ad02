import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import { z } from 'zod';

export const DEFAULT_ADDR = '127.0.0.1:7070';

const Addr = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:7070')
  .transform((value, ctx) => {
    const colon = value.lastIndexOf(':');
    const port = Number(value.slice(colon + 1));
    if (port > 65535) ctx.addIssue({ code: 'custom', message: 'port must be 0-65535' });
    return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port };
  });

const ServerConfig = z.strictObject({
  addr: Addr,
  home: z.string().min(1, 'must not be empty'),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export type ConfigSources = {
  flags: { addr?: string | undefined; home?: string | undefined };
  env: NodeJS.ProcessEnv;
};

/** Resolves configuration once at start: flag > env > default. A bad value fails listing every problem. */
export function resolveConfig({ flags, env }: ConfigSources): ServerConfig {
  const raw = {
    addr: flags.addr ?? env.PADDOCK_ADDR ?? DEFAULT_ADDR,
    home: flags.home ?? env.PADDOCK_HOME ?? join(homedir(), '.paddock'),
  };
  return parseInput(ServerConfig, raw, 'configuration');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function assertSafeBinding(config: ServerConfig): void {
  if (!isLoopback(config.addr.host)) {
    throw new PaddockError(
      ErrorCode.Forbidden,
      `refusing to listen on ${config.addr.host}: authentication is not configured, so Paddock only binds to a loopback address (127.0.0.1, ::1, localhost)`,
    );
  }
}
