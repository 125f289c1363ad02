import type { Sandbox } from '@paddock/core';
import type { ReactNode } from 'react';
import { TableFrame } from '../table-frame.tsx';
import { PhaseBadge } from './phase-badge.tsx';

const when = (timestamp: string | undefined) =>
  timestamp ? <time dateTime={timestamp}>{new Date(timestamp).toLocaleString()}</time> : '—';

/** What the controller observed: phase, message, template, timing, limits; then conditions. */
export function StatusCard({ sandbox }: { sandbox: Sandbox }) {
  const status = sandbox.status;
  const ref = sandbox.spec.templateRef;
  const failure = status?.provisionFailure;
  const facts: Array<[string, ReactNode]> = [
    ['Phase', <PhaseBadge key="phase" phase={status?.phase} />],
    ['Desired state', sandbox.spec.desiredState ?? 'Running'],
    ['Message', status?.message ?? '—'],
    ['Template', `${ref.kind ?? 'SandboxTemplate'}/${ref.name}`],
    [
      'Startup',
      status?.startupDurationMs === undefined ? '—' : `${Math.round(status.startupDurationMs)} ms`,
    ],
    ['Expires', when(status?.expiresAt)],
    [
      'From warm pool',
      status?.fromWarmPool === undefined ? '—' : status.fromWarmPool ? 'yes' : 'no',
    ],
    ['Limits enforced by', status?.limits ?? '—'],
  ];
  if (status?.exitCode !== undefined) facts.push(['Exit code', String(status.exitCode)]);
  return (
    <section className="card status-card" aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      <dl className="facts">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {failure ? (
        <div className="provision-failure">
          <p className="form-error">
            Step <code>{failure.step}</code> failed
            {failure.exitCode === undefined ? '' : ` with exit code ${failure.exitCode}`}.
          </p>
          {failure.output ? <pre>{failure.output}</pre> : null}
        </div>
      ) : null}
      <h3>Conditions</h3>
      {(status?.conditions ?? []).length === 0 ? (
        <p className="muted">No conditions yet.</p>
      ) : (
        <TableFrame label="Conditions">
          <table>
            <caption className="visually-hidden">Conditions</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Message</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {(status?.conditions ?? []).map((c) => (
                <tr key={c.type}>
                  <td>{c.type}</td>
                  <td>
                    <span
                      className={
                        c.status === 'True'
                          ? 'badge ok'
                          : c.status === 'False'
                            ? 'badge bad'
                            : 'badge'
                      }
                    >
                      {c.status}
                    </span>
                  </td>
                  <td>{c.reason}</td>
                  <td className="wrap">{c.message}</td>
                  <td>{when(c.lastTransitionTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </section>
  );
}
