/**
 * One run of the harness from `run.started` to `run.finished`, whatever the mode: connect the MCP
 * servers, pick the model client, then feed user messages to the loop until the input ends (task:
 * after the prompt; interactive: `end` or EOF on stdin), the loop stops (a budget, a failure) or
 * a stop arrives from outside (signal, `POST /cancel`, the timeout). `run.finished` is always
 * written, errors included.
 */
import type { Readable } from 'node:stream';
import {
  BudgetLimit,
  DEFAULT_PRICE_TABLE,
  ErrorCode,
  isPaddockError,
  parseDurationMs,
  RunOutcome,
  TranscriptEventType,
} from '@paddock/core';
import { BudgetTracker, type Stop } from './budget.ts';
import { type HarnessConfig, HarnessMode } from './config.ts';
import { type DaemonServer, startDaemonServer } from './daemon-server.ts';
import { exitCodeOf } from './exit-codes.ts';
import { pumpInboxMessages } from './inbox-messages.ts';
import { AgentSession } from './loop.ts';
import type { McpTools } from './mcp-tools.ts';
import { MessageQueue } from './message-queue.ts';
import type { ModelClient, ModelClientOptions } from './model-client.ts';
import { RunStopper } from './run-stopper.ts';
import { pumpStdinMessages } from './stdin-messages.ts';
import { toolAllowlist } from './tool-allowlist.ts';
import { BUILTIN_TOOLS } from './tools/builtin.ts';
import { errorMessage } from './tools/tool.ts';
import { TranscriptWriter } from './transcript-writer.ts';

/** The harness's name in `run.started`. */
export const HARNESS_NAME = 'paddock-agent';

export type HarnessIo = {
  /** Gets each transcript line (newline included). */
  write(line: string): void;
  /** An interactive run's input (JSON Lines). */
  stdin: Readable;
};

export type HarnessResult = { outcome: RunOutcome; exitCode: number };

/** A run ready to start; building it checks what the config schema cannot (an unpriced maxUsd). */
export type PreparedRun = {
  config: HarnessConfig;
  budget: BudgetTracker;
  timeoutMs: number;
  stopper: RunStopper;
};

/** Throws `validation_failed` naming the field when the run cannot start (before any transcript). */
export function prepareRun(config: HarnessConfig): PreparedRun {
  const budget = new BudgetTracker(
    config.budget,
    config.model,
    config.prices ?? DEFAULT_PRICE_TABLE,
  );
  const timeoutMs = config.budget.timeout ? parseDurationMs(config.budget.timeout) : 0;
  return { config, budget, timeoutMs, stopper: new RunStopper() };
}

/** The client of the configured provider (only that provider's SDK is loaded: start-up time). */
export async function createModelClient(config: HarnessConfig): Promise<ModelClient> {
  const options: ModelClientOptions = {
    model: config.model,
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    systemPrompt: config.systemPrompt,
    maxOutputTokens: config.maxOutputTokens,
    maxRetries: config.retry.maxRetries,
    requestTimeoutMs: config.retry.requestTimeoutMs,
  };
  if (config.provider === 'anthropic') {
    const { createAnthropicModel } = await import('./anthropic-model.ts');
    return createAnthropicModel(options);
  }
  const { createOpenAiModel } = await import('./openai-model.ts');
  return createOpenAiModel(options);
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export async function runHarness(run: PreparedRun, io: HarnessIo): Promise<HarnessResult> {
  const { config, budget, stopper } = run;
  const writer = new TranscriptWriter((line) => io.write(line));
  writer.emit({
    type: TranscriptEventType.RunStarted,
    harness: HARNESS_NAME,
    model: config.model,
    provider: config.provider,
    mode: config.mode,
  });
  if (!budget.isPriced) {
    writer.emit({
      type: TranscriptEventType.Log,
      level: 'warn',
      message: `no price for model "${config.model}": its cost shows as 0`,
    });
  }
  const timer =
    run.timeoutMs > 0
      ? setTimeout(
          () =>
            stopper.request({
              outcome: RunOutcome.TimedOut,
              limit: BudgetLimit.Timeout,
              message: `the run reached its timeout (${config.budget.timeout})`,
            }),
          run.timeoutMs,
        )
      : undefined;

  let mcp: McpTools | undefined;
  let daemon: DaemonServer | undefined;
  let session: AgentSession | undefined;
  let stop: Stop | undefined;
  try {
    // The MCP SDK loads only when a server is configured (start-up time).
    const connecting =
      config.mcpServers.length === 0 && config.paddockMcp === undefined
        ? Promise.resolve(undefined)
        : import('./mcp-tools.ts').then(({ connectMcpServers, mcpConnections }) =>
            connectMcpServers(mcpConnections(config.mcpServers, config.paddockMcp), config.cwd),
          );
    mcp = await untilAborted(connecting, stopper.signal);
    if (stopper.stop) {
      // Stopped while connecting: close whatever connects late.
      void connecting.then(
        (late) => late?.close(),
        () => undefined,
      );
    }
    session = new AgentSession({
      model: await createModelClient(config),
      tools: [...BUILTIN_TOOLS, ...(mcp?.tools ?? [])],
      allowlist: toolAllowlist(config.tools),
      toolContext: {
        cwd: config.cwd,
        allowOutsideCwd: config.allowOutsideCwd,
        maxOutputChars: config.maxToolOutputChars,
      },
      budget,
      writer,
      stopper,
    });
    const queue = new MessageQueue();
    if (config.prompt !== undefined) queue.push(config.prompt);
    switch (config.mode) {
      case HarnessMode.Task:
        queue.close();
        break;
      case HarnessMode.Interactive:
        if (config.inbox !== undefined) {
          void pumpInboxMessages(config.inbox, queue, writer, stopper.signal);
        } else {
          void pumpStdinMessages(io.stdin, queue, writer);
        }
        break;
      case HarnessMode.Daemon: {
        const [host = '127.0.0.1', port = '0'] = (config.listen ?? '').split(/:(?=\d+$)/);
        daemon = await startDaemonServer({
          host: host.replace(/^\[|\]$/g, ''),
          port: Number(port),
          token: config.daemonToken ?? '',
          writer,
          queue,
          stopper,
        });
        writer.emit({
          type: TranscriptEventType.Log,
          level: 'info',
          message: `listening on ${daemon.url}`,
          raw: { url: daemon.url },
        });
        break;
      }
    }
    for (;;) {
      const text = await queue.next(stopper.signal);
      if (text === undefined) break;
      stop = await session.send(text);
      if (stop) break;
    }
    stop ??= stopper.stop;
  } catch (error) {
    stop = stopper.stop ?? { outcome: RunOutcome.Failed, message: errorMessage(error) };
    if (!stopper.stop) {
      writer.emit({
        type: TranscriptEventType.Error,
        code: isPaddockError(error) ? error.code : ErrorCode.Internal,
        message: errorMessage(error),
      });
    }
  } finally {
    clearTimeout(timer);
  }

  const finish: Stop = stop ?? {
    outcome: RunOutcome.Succeeded,
    message: session?.isTruncated ? 'the final answer was cut off at the output token limit' : '',
  };
  const result = session?.lastText ?? '';
  writer.emit({
    type: TranscriptEventType.RunFinished,
    outcome: finish.outcome,
    ...(finish.limit ? { limit: finish.limit } : {}),
    ...(result !== '' ? { result } : {}),
    ...(finish.message ? { message: finish.message } : {}),
    usage: budget.usage,
  });
  await Promise.allSettled([mcp?.close(), daemon?.close()]);
  return { outcome: finish.outcome, exitCode: exitCodeOf(finish.outcome) };
}
