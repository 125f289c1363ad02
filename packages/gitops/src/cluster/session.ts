/**
 * `$PADDOCK_HOME/clusters/<name>/session.yaml`: what Paddock knows about one cluster it manages
 * (state, URLs, credentials, host ports, node count, the versions it bootstrapped). Written
 * atomically (a temporary file renamed over the old one, mode 0600: it holds credentials), read
 * back through the same schema.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

export const ClusterState = {
  Creating: 'creating',
  Running: 'running',
  Stopped: 'stopped',
  Failed: 'failed',
} as const;
export type ClusterState = (typeof ClusterState)[keyof typeof ClusterState];

export const ClusterMode = { K3d: 'k3d', Existing: 'existing' } as const;
export type ClusterMode = (typeof ClusterMode)[keyof typeof ClusterMode];

const NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

export const ClusterName = z
  .string()
  .regex(NAME, 'must be a DNS label of at most 32 characters (lowercase letters, digits, -)');

const Port = z.number().int().min(1).max(65_535);

export const Session = z.object({
  apiVersion: z.literal('paddock.dev/v1alpha1'),
  kind: z.literal('ClusterSession'),
  name: ClusterName,
  mode: z.enum(Object.values(ClusterMode)),
  state: z.enum(Object.values(ClusterState)),
  /** The step that failed, with its error, when state is failed. */
  error: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Servers plus agents (k3d); the nodes seen for an existing cluster. */
  nodeCount: z.number().int().min(0),
  kubeconfig: z.string(),
  /** The kube context in the kubeconfig (an existing cluster: the one chosen). */
  context: z.string().optional(),
  /** Host ports (k3d only): the API server and the load balancer's HTTP and HTTPS. */
  ports: z.object({ api: Port.optional(), http: Port.optional(), https: Port.optional() }),
  urls: z.object({
    api: z.string().optional(),
    argocd: z.string().optional(),
    paddock: z.string().optional(),
    hubble: z.string().optional(),
    /** The GitOps repository as Argo CD reads it. */
    repository: z.string().optional(),
  }),
  credentials: z.object({
    argocdAdminPassword: z.string().optional(),
  }),
  bootstrap: z.object({
    /** The bootstrap's own version (this CLI's), then each component's. */
    version: z.string(),
    cilium: z.string().optional(),
    argocd: z.string().optional(),
    paddock: z.string().optional(),
  }),
});
export type Session = z.infer<typeof Session>;

/** `$PADDOCK_HOME` (default `~/.paddock`). */
export function paddockHome(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env.PADDOCK_HOME ?? join(homedir(), '.paddock');
}

export function clustersDir(home: string): string {
  return join(home, 'clusters');
}

export function clusterDir(home: string, name: string): string {
  return join(clustersDir(home), ClusterName.parse(name));
}

export function sessionPath(home: string, name: string): string {
  return join(clusterDir(home, name), 'session.yaml');
}

/** Writes the session atomically (temp file + rename), creating the cluster's folder. */
export function writeSession(home: string, session: Session): void {
  const valid = Session.parse(session);
  const dir = clusterDir(home, valid.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, 'session.yaml');
  const temp = join(dir, `.session.yaml.${randomBytes(6).toString('hex')}`);
  writeFileSync(temp, stringify(valid), { mode: 0o600 });
  renameSync(temp, target);
}

/** The session of cluster `name`; `not_found` when there is none, `validation_failed` if bad. */
export function readSession(home: string, name: string): Session {
  let text: string;
  try {
    text = readFileSync(sessionPath(home, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PaddockError(
        ErrorCode.NotFound,
        `no cluster named "${name}" (paddock cluster list shows them; paddock cluster create ${name} makes one)`,
      );
    }
    throw error;
  }
  const result = Session.safeParse(parse(text));
  if (!result.success) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `${sessionPath(home, name)} is not a valid session: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

/** Every cluster with a session under `home`, by name. */
export function listSessions(home: string): Session[] {
  let names: string[];
  try {
    names = readdirSync(clustersDir(home)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((n) => NAME.test(n))
    .flatMap((n) => {
      try {
        return [readSession(home, n)];
      } catch (error) {
        if (error instanceof PaddockError && error.code === ErrorCode.NotFound) return [];
        throw error;
      }
    });
}
