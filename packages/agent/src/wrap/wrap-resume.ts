/**
 * An interactive run of a CLI that takes one message per process (Codex, OpenCode). After a
 * process ended well, the next inbox message (see inbox-messages.ts) becomes a `message.user`
 * event and starts the CLI again on the same session (`codex exec resume ID`, `opencode run
 * --session ID`), so the model sees the whole conversation. The end message or a stop ends the
 * run with the last process's exit; so do a process that failed and a CLI that named no session.
 */
import { ErrorCode, RunOutcome } from '@paddock/core';
import { pumpInboxMessages } from '../inbox-messages.ts';
import { MessageQueue } from '../message-queue.ts';
import type { CliLaunch } from './cli-launch.ts';
import type { MissingCli } from './cli-path.ts';
import type { CliExit, EventMapper } from './event-mapper.ts';
import type { WrapSession } from './wrap-session.ts';

export type ResumeSteps = {
  inbox: string;
  session: WrapSession;
  mapper: EventMapper;
  /** The launch that continues `sessionId` with `text`. */
  launch: (text: string, sessionId: string) => CliLaunch | MissingCli;
  run: (launch: CliLaunch) => Promise<CliExit>;
  /** Aborted when the run is stopped. */
  stop: AbortSignal;
};

/** Codex's and OpenCode's `finish` reads their state without changing it: asking is safe. */
function endedWell(mapper: EventMapper, exit: CliExit): boolean {
  return exit.code === 0 && mapper.finish(exit).outcome === RunOutcome.Succeeded;
}

/** Runs the later messages after the first process's `first` exit; returns the last exit. */
export async function resumeSteps(steps: ResumeSteps, first: CliExit): Promise<CliExit> {
  const { session, mapper } = steps;
  const done = new AbortController();
  const onStop = () => done.abort();
  if (steps.stop.aborted) done.abort();
  else steps.stop.addEventListener('abort', onStop, { once: true });
  const queue = new MessageQueue();
  const pumping = pumpInboxMessages(steps.inbox, queue, session.writer, done.signal);
  let exit = first;
  try {
    while (endedWell(mapper, exit)) {
      const text = await queue.next(done.signal);
      if (text === undefined) break;
      session.userMessage(text);
      const id = mapper.sessionId;
      if (id === undefined || id === '') {
        session.error(ErrorCode.Internal, 'the CLI named no session to continue');
        return { code: 1, signal: null };
      }
      const launch = steps.launch(text, id);
      if ('reason' in launch) {
        session.error(ErrorCode.RuntimeUnavailable, launch.reason);
        return { code: 1, signal: null };
      }
      exit = await steps.run(launch);
    }
    return exit;
  } finally {
    done.abort();
    steps.stop.removeEventListener('abort', onStop);
    await pumping;
  }
}
