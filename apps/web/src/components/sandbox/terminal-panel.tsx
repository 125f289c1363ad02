import '@xterm/xterm/css/xterm.css';
import type { Terminal as PaddockTerminal } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { useTerminalTheme } from './terminal-theme.ts';

type Connection =
  | { state: 'not-running' }
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'reconnecting'; attempt: number }
  | { state: 'exited'; exitCode: number | null; signal: string | null }
  | { state: 'closed' }
  | { state: 'failed'; code: string; message: string };

function describe(connection: Connection, name: string): string {
  switch (connection.state) {
    case 'not-running':
      return 'Not connected: the sandbox is not running. Start (or resume) it to open a terminal.';
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return `Connected to a shell in ${name}`;
    case 'reconnecting':
      return `Connection lost; reconnecting (attempt ${connection.attempt})…`;
    case 'exited':
      return connection.signal
        ? `The shell was killed by ${connection.signal}`
        : `The shell exited with code ${connection.exitCode ?? 'unknown'}`;
    case 'closed':
      return 'Disconnected';
    case 'failed':
      return `Disconnected: ${connection.code}: ${connection.message}`;
  }
}

/**
 * An interactive shell in the sandbox (xterm.js over the terminal WebSocket): keystrokes go to
 * the PTY, the PTY follows the container's size, the connection state is announced, and a
 * Reconnect button opens a new shell after an exit or a failure.
 */
export function TerminalPanel({ name, isRunning }: { name: string; isRunning: boolean }) {
  const { client } = useSession();
  const theme = useTerminalTheme();
  const hostRef = useRef<HTMLDivElement>(null);
  const xtermRef = useRef<{ term: XTerm; fit: FitAddon } | undefined>(undefined);
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const [attempt, setAttempt] = useState(0);

  // One xterm for the panel's life; it follows the container's size.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the theme is applied by the next effect.
  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const term = new XTerm({
      theme,
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    xtermRef.current = { term, fit };
    const refit = () => {
      if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
    };
    refit();
    const observer = new ResizeObserver(refit);
    observer.observe(host);
    return () => {
      observer.disconnect();
      term.dispose();
      xtermRef.current = undefined;
    };
  }, []);

  useEffect(() => {
    if (xtermRef.current) xtermRef.current.term.options.theme = theme;
  }, [theme]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` opens a new session.
  useEffect(() => {
    const xterm = xtermRef.current;
    if (!xterm) return;
    if (!isRunning) {
      setConnection({ state: 'not-running' });
      return;
    }
    const { term, fit } = xterm;
    let isCancelled = false;
    let session: PaddockTerminal | undefined;
    const cleanups: Array<() => void> = [];
    setConnection({ state: 'connecting' });
    term.reset();
    const size = fit.proposeDimensions();
    const cols = size?.cols && size.cols > 0 ? size.cols : 80;
    const rows = size?.rows && size.rows > 0 ? size.rows : 24;
    void (async () => {
      try {
        session = await client.sandboxes.terminal(name, { cols, rows });
      } catch (error) {
        if (!isCancelled) setConnection(failure(error));
        return;
      }
      if (isCancelled) {
        session.close();
        return;
      }
      const open = session;
      setConnection({ state: 'connected' });
      cleanups.push(open.on('output', (data) => term.write(data)));
      cleanups.push(
        open.on('reconnecting', ({ attempt }) => setConnection({ state: 'reconnecting', attempt })),
      );
      cleanups.push(open.on('session', () => setConnection({ state: 'connected' })));
      const input = term.onData((data) => open.write(data));
      const resize = term.onResize(({ cols, rows }) => open.resize(cols, rows));
      cleanups.push(
        () => input.dispose(),
        () => resize.dispose(),
      );
      if (term.cols !== cols || term.rows !== rows) open.resize(term.cols, term.rows);
      term.focus();
      open.done.then(
        (exit) => {
          if (isCancelled) return;
          setConnection(exit ? { state: 'exited', ...exit } : { state: 'closed' });
        },
        (error: unknown) => {
          if (!isCancelled) setConnection(failure(error));
        },
      );
    })();
    return () => {
      isCancelled = true;
      for (const cleanup of cleanups) cleanup();
      session?.close();
    };
  }, [client, name, isRunning, attempt]);

  const canReconnect =
    isRunning &&
    (connection.state === 'exited' ||
      connection.state === 'failed' ||
      connection.state === 'closed');
  const tone =
    connection.state === 'connected'
      ? 'badge ok'
      : connection.state === 'failed'
        ? 'badge bad'
        : 'badge warn';
  return (
    <div className="terminal-panel">
      <div className="row terminal-bar">
        <p className="terminal-status" role="status" aria-live="polite">
          <span className={tone}>{connection.state.replace('-', ' ')}</span>{' '}
          {describe(connection, name)}
        </p>
        {canReconnect ? (
          <button type="button" className="button small" onClick={() => setAttempt((n) => n + 1)}>
            Reconnect
          </button>
        ) : null}
      </div>
      <section className="terminal-host" aria-label="Terminal" ref={hostRef} />
    </div>
  );
}

function failure(error: unknown): Connection {
  return {
    state: 'failed',
    code: isPaddockError(error) ? error.code : 'internal',
    message: error instanceof Error ? error.message : String(error),
  };
}
