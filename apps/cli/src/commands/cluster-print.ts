// How `paddock cluster create` and `info` show a cluster: its session as a table of what matters,
// or the whole of it as json, yaml or a name.
import type { Session } from '@paddock/gitops';
import { stringify } from 'yaml';
import { OutputFormat } from '../cli-options.ts';
import type { CommandContext } from '../command.ts';

export function printSession(context: CommandContext, session: Session) {
  const format = context.settings.output;
  if (format === OutputFormat.Json) {
    context.io.stdout(`${JSON.stringify(session, null, 2)}\n`);
    return;
  }
  if (format === OutputFormat.Yaml) {
    context.io.stdout(stringify(session));
    return;
  }
  if (format === OutputFormat.Name) {
    context.io.stdout(`cluster/${session.name}\n`);
    return;
  }
  const { urls, ports, bootstrap } = session;
  const rows: Array<[string, string | undefined]> = [
    ['name', session.name],
    ['state', session.error ? `${session.state}: ${session.error}` : session.state],
    ['mode', session.mode],
    ['nodes', String(session.nodeCount)],
    ['kubeconfig', session.kubeconfig],
    ['api', urls.api],
    ['argo cd', urls.argocd],
    ['hubble', urls.hubble],
    ['paddock', urls.paddock],
    ['repository', urls.repository],
    [
      'ports',
      ports.api === undefined
        ? undefined
        : `api ${ports.api}, http ${ports.http}, https ${ports.https}`,
    ],
    [
      'versions',
      [
        `bootstrap ${bootstrap.version}`,
        bootstrap.cilium && `cilium ${bootstrap.cilium}`,
        bootstrap.argocd && `argo-cd chart ${bootstrap.argocd}`,
        bootstrap.paddock && `paddock ${bootstrap.paddock}`,
      ]
        .filter(Boolean)
        .join(', '),
    ],
    [
      'argo cd login',
      session.credentials.argocdAdminPassword
        ? 'admin (password: paddock cluster info -o yaml)'
        : undefined,
    ],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  context.io.stdout(
    shown
      .map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`)
      .join('\n')
      .concat('\n'),
  );
}
