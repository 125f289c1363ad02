import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@paddock/control';
import type { ServerConfig } from './config.ts';
import type { Engine } from './engine.ts';
import type { DownloadLinks } from './handlers/download-links.ts';
import type { KeyConnections } from './http/key-connections.ts';
import type { ServerMetrics } from './http/metrics.ts';
import type { RequestContext } from './http/request-context.ts';
import type { SandboxConnections } from './http/sandbox-connections.ts';
import type { PreviewLinks } from './preview/preview-links.ts';

/** What handlers may use: the engine's stores and runtime, the config, metrics, the log. */
export type ServerDeps = {
  engine: Engine;
  config: ServerConfig;
  metrics: ServerMetrics;
  log: (line: string) => void;
  /** Aborted when the server shuts down: long streams (watch, follow) end. */
  shutdown: AbortSignal;
  /** Signed preview URLs on the preview listener (the ports route hands them out). */
  previews: PreviewLinks;
  /** The open connections of each API key, ended when it is revoked. */
  keyConnections: KeyConnections;
  /** The open connections into each sandbox, ended for a caller who may no longer see it. */
  sandboxConnections: SandboxConnections;
  /** Signed download links of sandbox files (`…/files/download-link`). */
  downloadLinks: DownloadLinks;
};

/** One authenticated request reaching a handler. */
export type HandlerCall = {
  ctx: RequestContext;
  principal: Principal;
  req: IncomingMessage;
  res: ServerResponse;
  deps: ServerDeps;
};
