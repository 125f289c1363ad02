import { isPaddockError, SandboxPhase } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { EventsTimeline } from '../components/sandbox/events-timeline.tsx';
import { FilesPanel } from '../components/sandbox/files-panel.tsx';
import { LogsPanel } from '../components/sandbox/logs-panel.tsx';
import { PhaseBadge } from '../components/sandbox/phase-badge.tsx';
import { PortsPanel } from '../components/sandbox/ports-panel.tsx';
import { SandboxActions } from '../components/sandbox/sandbox-actions.tsx';
import { SandboxTabs } from '../components/sandbox/sandbox-tabs.tsx';
import { SnapshotActions } from '../components/sandbox/snapshot-actions.tsx';
import { StatusCard } from '../components/sandbox/status-card.tsx';
import { TerminalPanel } from '../components/sandbox/terminal-panel.tsx';
import { Empty, QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { navigate } from '../lib/router.ts';
import { useSession } from '../lib/session.ts';
import './sandbox-detail.css';

const TABS = [
  { id: 'terminal', label: 'Terminal' },
  { id: 'files', label: 'Files' },
  { id: 'ports', label: 'Ports' },
  { id: 'logs', label: 'Logs' },
] as const;

/** One sandbox: status, conditions, events, and its terminal, files, ports and logs. */
export function SandboxDetailPage({ params }: { params: Record<string, string> }) {
  const name = params.name ?? '';
  const { client, namespace } = useSession();
  const query = useQuery({
    queryKey: ['Sandbox', namespace, 'detail', name],
    queryFn: () => client.sandboxes.get(name),
  });
  useLiveKind('Sandbox', ['Sandbox', namespace, 'detail', name]);
  const [tab, setTab] = useState('terminal');

  if (
    isPaddockError(query.error, 'sandbox_not_found') ||
    isPaddockError(query.error, 'not_found')
  ) {
    return (
      <>
        <PageHeader title={name} />
        <Empty title={`Sandbox ${name} does not exist in namespace ${namespace}`}>
          It may have been deleted. <Link to="/sandboxes">Back to sandboxes</Link>
        </Empty>
      </>
    );
  }
  const sandbox = query.data;
  const phase = sandbox?.status?.phase;
  const isRunning = phase === SandboxPhase.Running;

  return (
    <>
      <PageHeader title={name}>
        {sandbox ? (
          <>
            <PhaseBadge phase={phase} />
            <SandboxActions sandbox={sandbox} onDeleted={() => navigate('/sandboxes')} />
            <SnapshotActions sandbox={sandbox} />
          </>
        ) : null}
      </PageHeader>
      <QueryView query={query} what={`Loading sandbox ${name}`}>
        {(loaded) => (
          <>
            <div className="detail-grid">
              <StatusCard sandbox={loaded} />
              <EventsTimeline key={loaded.metadata.uid ?? name} name={name} />
            </div>
            <SandboxTabs
              label={`Sandbox ${name}`}
              tabs={TABS}
              selected={tab}
              onSelect={setTab}
              keepMounted={['terminal']}
              render={(id) => {
                switch (id) {
                  case 'terminal':
                    return <TerminalPanel name={name} isRunning={isRunning} />;
                  case 'files':
                    return isRunning ? (
                      <FilesPanel name={name} />
                    ) : (
                      <Empty title="Files are available while the sandbox runs">
                        {phase === SandboxPhase.Paused ? 'Resume' : 'Start'} the sandbox to browse
                        its workspace.
                      </Empty>
                    );
                  case 'ports':
                    return <PortsPanel name={name} isRunning={isRunning} />;
                  case 'logs':
                    return <LogsPanel name={name} isRunning={isRunning} />;
                  default:
                    return null;
                }
              }}
            />
          </>
        )}
      </QueryView>
    </>
  );
}
