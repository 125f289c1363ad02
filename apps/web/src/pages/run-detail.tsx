import { isTerminalRunPhase } from '@paddock/client';
import type { Run } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmButton } from '../components/agent/confirm-button.tsx';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { MutationError, QueryView } from '../components/states.tsx';
import { LlmCalls } from '../components/transcript/llm-calls.tsx';
import { MessageBox } from '../components/transcript/message-box.tsx';
import { OutcomeBanner, usageText } from '../components/transcript/outcome-banner.tsx';
import { RunPhaseBadge } from '../components/transcript/run-phase-badge.tsx';
import { Tabs } from '../components/transcript/run-tabs.tsx';
import { TranscriptView } from '../components/transcript/transcript-view.tsx';
import { useTranscript } from '../components/transcript/use-transcript.ts';
import { age } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './agents.css';
import './run-detail.css';

/** One run: its live transcript as a chat, the model call trace, messages, cancel, outcome. */
export function RunDetailPage({ params }: { params: Record<string, string> }) {
  const name = params.name ?? '';
  const { client, namespace } = useSession();
  const run = useQuery({
    queryKey: ['Run', namespace, 'item', name],
    queryFn: () => client.runs.get(name),
  });
  useLiveKind('Run', ['Run', namespace]);

  return (
    <>
      <p className="breadcrumb small">
        <Link to="/runs">Runs</Link> / {name}
      </p>
      <QueryView query={run} what="Loading run">
        {(loaded) => <RunView key={`${namespace}/${name}`} run={loaded} />}
      </QueryView>
    </>
  );
}

function RunView({ run }: { run: Run }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const name = run.metadata.name ?? '';
  const phase = run.status?.phase ?? 'Pending';
  const isFinished = isTerminalRunPhase(phase);
  // Read once at mount: a run already over is paged, a live one followed.
  const [wasFinished] = useState(isFinished);
  const { transcript, stream, retry } = useTranscript(name, wasFinished);
  const [tab, setTab] = useState('chat');
  const cancel = useMutation({
    mutationFn: () => client.runs.cancel(name),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['Run', namespace] }),
  });

  const usage = transcript.usage ?? run.status?.usage;
  const agent = run.spec.agentRef?.name;
  const sandbox = run.status?.sandboxName ?? run.spec.sandbox?.name;
  const mode = run.spec.mode ?? 'task';
  const isInteractive = mode === 'interactive';
  // A run that ended without a `run.finished` event (it never started, or was stopped from
  // outside) still gets its outcome from the resource's status.
  const statusOutcome = isFinished && !transcript.finished && stream.state !== 'loading';

  return (
    <>
      <PageHeader title={name}>
        {!isFinished ? (
          <ConfirmButton
            label="Cancel run"
            confirmLabel="Confirm cancel"
            keepLabel="Keep running"
            question="Cancel this run? The agent is stopped."
            isPending={cancel.isPending}
            onConfirm={() => cancel.mutate()}
          />
        ) : null}
      </PageHeader>
      <MutationError error={cancel.error} />
      <section className="card run-summary" aria-label="Run summary">
        <dl className="run-facts">
          <div>
            <dt>Phase</dt>
            <dd>
              <RunPhaseBadge phase={phase} />
              {run.status?.reason &&
              isFinished &&
              phase !== 'Succeeded' &&
              run.status.reason !== phase ? (
                <span className="muted small"> {run.status.reason}</span>
              ) : null}
            </dd>
          </div>
          <div>
            <dt>Agent</dt>
            <dd>
              {agent ? <Link to={`/agents/${encodeURIComponent(agent)}`}>{agent}</Link> : 'inline'}
            </dd>
          </div>
          <div>
            <dt>Sandbox</dt>
            <dd>
              {sandbox ? (
                <Link to={`/sandboxes/${encodeURIComponent(sandbox)}`}>{sandbox}</Link>
              ) : (
                <span className="muted">not yet assigned</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Mode</dt>
            <dd>{mode}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>
              {run.metadata.creationTimestamp ? `${age(run.metadata.creationTimestamp)} ago` : '—'}
            </dd>
          </div>
        </dl>
        <p className="run-usage" role="status" aria-live="polite">
          <span className="visually-hidden">Usage: </span>
          {usageText(usage)}
        </p>
        {run.status?.message && (phase === 'Pending' || phase === 'Starting') ? (
          <p className="muted small">{run.status.message}</p>
        ) : null}
      </section>
      <Tabs
        label="Run views"
        selected={tab}
        onSelect={setTab}
        tabs={[
          {
            id: 'chat',
            label: 'Chat',
            panel: (
              <>
                <TranscriptView
                  transcript={transcript}
                  stream={stream}
                  retry={retry}
                  prompt={run.spec.prompt}
                />
                {statusOutcome ? (
                  <OutcomeBanner
                    outcome={phase}
                    result={run.status?.result?.text}
                    message={run.status?.message}
                    usage={usage}
                  />
                ) : null}
                {isInteractive && phase === 'Running' ? <MessageBox runName={name} /> : null}
                {isInteractive && !isFinished && phase !== 'Running' ? (
                  <p className="muted small">Messages can be sent once the run is Running.</p>
                ) : null}
              </>
            ),
          },
          {
            id: 'llm',
            label: `LLM calls (${transcript.llmCalls.length})`,
            panel: <LlmCalls calls={transcript.llmCalls} />,
          },
        ]}
      />
    </>
  );
}
