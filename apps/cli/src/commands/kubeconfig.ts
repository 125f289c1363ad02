import { readFileSync } from 'node:fs';
import { ErrorCode, PaddockError } from '@paddock/core';
import { stringify } from 'yaml';
import type { Command } from '../command.ts';

/**
 * A kubeconfig for the current context: `paddock up` serves the Kubernetes API at the server's
 * root (`/apis/paddock.dev/v1alpha1/…`), with the context's API key as the bearer token. An
 * https server's CA is the one this CLI trusts beyond the system's (`NODE_EXTRA_CA_CERTS`).
 */
function kubeconfigFor(server: string, token: string | undefined, namespace: string) {
  const name = `paddock-${new URL(server).host.replaceAll(/[^A-Za-z0-9.-]/g, '-')}`;
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  const isTls = server.startsWith('https:');
  let ca: string | undefined;
  if (isTls && caFile !== undefined && caFile !== '') {
    try {
      ca = readFileSync(caFile).toString('base64');
    } catch (cause) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `NODE_EXTRA_CA_CERTS: cannot read ${caFile}: ${(cause as Error).message}`,
        { issues: [{ path: 'NODE_EXTRA_CA_CERTS', message: 'cannot be read' }] },
      );
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: server.replace(/\/+$/, ''),
          ...(ca === undefined ? {} : { 'certificate-authority-data': ca }),
        },
      },
    ],
    users: [{ name, user: token === undefined ? {} : { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace } }],
    'current-context': name,
  };
}

export const kubeconfigCommand: Command = {
  path: ['kubeconfig'],
  flags: [],
  help: `Usage: paddock kubeconfig [--context NAME] [--server URL] [--token TOKEN] [-n NS]

Prints a kubeconfig for the current context (or the one named): the server's URL, its API key as
the bearer token and the namespace, so kubectl, k9s and Kubernetes client libraries work against
paddock up. An https server's CA comes from NODE_EXTRA_CA_CERTS when set. kubectl sends a token
only over https: against an http server (dev mode on loopback) it connects without one; serve
https with paddock up --tls-cert FILE --tls-key FILE.

Example:
  paddock kubeconfig > ~/.kube/paddock
  KUBECONFIG=~/.kube/paddock kubectl get sandboxes
`,
  async run({ args, settings, io }) {
    if (args.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'paddock kubeconfig takes no arguments', {
        issues: [{ path: args[0] ?? '', message: 'unexpected argument' }],
      });
    }
    io.stdout(stringify(kubeconfigFor(settings.server, settings.token, settings.namespace)));
    if (settings.token !== undefined && settings.server.startsWith('http:')) {
      io.stderr(
        'note: kubectl sends the token only over https; against this http server it connects without it (enough for paddock up in dev mode on loopback; paddock up --tls-cert FILE --tls-key FILE serves https)\n',
      );
    }
    return 0;
  },
};
