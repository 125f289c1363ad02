/** What the E2B surface's handlers receive: the caller, the request, and the E2B services. */
import type { Sandbox, SandboxRef } from '@paddock/core';
import type { Reply } from '../http/respond.ts';
import type { HandlerCall } from '../server-deps.ts';
import type { ConnectStream } from './connect.ts';
import type { AccessTokens } from './e2b-sandboxes.ts';

/** What the E2B surface adds to the server's dependencies. */
export type E2bServices = {
  tokens: AccessTokens;
};

/** A call of E2B's control API, authenticated with an API key (`X-API-KEY`). */
export type ControlCall = HandlerCall & {
  /** Path parameters (`sandboxID`, …). */
  params: Record<string, string>;
  e2b: E2bServices;
};

/** One route of E2B's control API (paths are relative to `/e2b`). */
export type ControlRoute = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/sandboxes/:sandboxID/timeout`: `:name` segments become `params`. */
  path: string;
  /** The audit action (`sandbox.create`, …). */
  action: string;
  handle(call: ControlCall): Promise<Reply>;
};

/** The user an envd call runs as: E2B's `user` (the default) or `root`. */
export type EnvdUser = 'user' | 'root';

/**
 * A call of the in-sandbox API (envd) that passed the sandbox's access token. `sandbox` is the
 * Sandbox the `E2b-Sandbox-Id` header names; `ref` its runtime handle (it is Running).
 * `principal` is the sandbox's owner, whom the call acts for.
 */
export type EnvdCall = HandlerCall & {
  sandbox: Sandbox;
  ref: SandboxRef;
  user: EnvdUser;
  e2b: E2bServices;
};

/**
 * A Connect RPC of envd: unary (a JSON answer) or server-streaming (messages on `stream`). Every
 * call is a POST, so only a call with an `action` gets an audit record (reads have none), and
 * not one that is `quiet` (a terminal's keystrokes and resizes: its start is recorded).
 */
export type EnvdRpc =
  | {
      kind: 'unary';
      action?: string;
      quiet?: boolean;
      handle(call: EnvdCall, message: Record<string, unknown>): Promise<unknown>;
    }
  | {
      kind: 'stream';
      action?: string;
      quiet?: boolean;
      handle(
        call: EnvdCall,
        message: Record<string, unknown>,
        stream: ConnectStream,
      ): Promise<void>;
    };

/** A plain HTTP route of envd (`/files`, `/health`, …); it writes its own answer. */
export type EnvdHttpRoute = {
  method: 'GET' | 'POST';
  path: string;
  action?: string;
  handle(call: EnvdCall): Promise<Reply>;
};
