import { tokens, usd } from '../../lib/format.ts';
import { Empty } from '../states.tsx';
import { TableFrame } from '../table-frame.tsx';
import type { LlmCall } from './transcript-reducer.ts';

function latency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The run's model calls through the gateway, in order: the call trace. */
export function LlmCalls({ calls }: { calls: readonly LlmCall[] }) {
  if (calls.length === 0) {
    return (
      <Empty title="No model calls yet">
        Each call the gateway forwards for this run appears here with its tokens, cost and latency.
      </Empty>
    );
  }
  return (
    <TableFrame label="LLM calls">
      <table>
        <caption className="visually-hidden">LLM calls</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col">In</th>
            <th scope="col">Out</th>
            <th scope="col">Cost</th>
            <th scope="col">Latency</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => {
            const isOk = call.status >= 200 && call.status < 300 && !call.error;
            return (
              <tr key={call.seq}>
                <td>
                  <time dateTime={call.ts}>{new Date(call.ts).toLocaleTimeString()}</time>
                </td>
                <td className="mono">
                  {call.model || '—'}
                  <span className="muted small"> {call.provider}</span>
                </td>
                <td>
                  <span className={isOk ? 'badge run-badge ok' : 'badge run-badge bad'}>
                    {call.status}
                  </span>
                  {call.error ? (
                    <span className="small">
                      {' '}
                      <code>{call.error.code}</code> {call.error.message}
                    </span>
                  ) : null}
                </td>
                <td>{tokens(call.inputTokens)}</td>
                <td>{tokens(call.outputTokens)}</td>
                <td>{usd(call.costUsd)}</td>
                <td>{latency(call.latencyMs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableFrame>
  );
}
