// Fresh objects for destructive rows (delete, stop, start, cancel, revoke): one per caller, so a
// call that wrongly succeeds cannot spoil the shared fixtures or another caller's row.
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  commandAgent,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  USER_ID,
} from './authz-fixtures.ts';

/** Alice's Stopped sandbox, shared with carol like her main one (nothing to provision). */
export async function freshSandbox(fx: AuthzWorld, role: Role): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('sandboxes'), 201, {
    method: 'POST',
    body: manifest('Sandbox', name, {
      templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
      desiredState: 'Stopped',
      sharedWith: [USER_ID.shared],
    }),
  });
  return name;
}

export async function freshAgent(fx: AuthzWorld, role: Role): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('agents'), 201, {
    method: 'POST',
    body: manifest('Agent', name, commandAgent('true')),
  });
  return name;
}

/** Alice's volume, for a case that deletes it. */
export async function freshVolume(fx: AuthzWorld, role: Role): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('volumes'), 201, {
    method: 'POST',
    body: manifest('Volume', name, {}),
  });
  return name;
}

/** Alice's snapshot of her main sandbox, for a case that deletes it. */
export async function freshSnapshot(fx: AuthzWorld, role: Role): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('sandboxsnapshots'), 201, {
    method: 'POST',
    body: manifest('SandboxSnapshot', name, { sandboxRef: { name: fx.box } }),
  });
  return name;
}

/** Alice's run of `script` in her main sandbox. */
export async function freshRun(fx: AuthzWorld, role: Role, script: string): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('runs'), 201, {
    method: 'POST',
    body: manifest('Run', name, {
      agent: commandAgent(script),
      prompt: 'x',
      sandbox: { name: fx.box },
    }),
  });
  return name;
}

export async function freshCredential(fx: AuthzWorld, role: Role): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('owner', nsPath('credentials'), 201, {
    method: 'POST',
    body: { name, type: 'env', value: 'v' },
  });
  return name;
}

/** A throwaway key of alice's; returns its id. */
export async function freshKey(fx: AuthzWorld, role: Role): Promise<string> {
  const made = await fx.json<JsonValue>('admin', '/api/v1/apikeys', 201, {
    method: 'POST',
    body: { name: `throwaway for ${role}`, owner: USER_ID.owner, role: 'user' },
  });
  return made.apiKey.id;
}

/** An admin-made template or policy at `collection` (cluster-scoped or in `default`). */
export async function freshConfig(
  fx: AuthzWorld,
  role: Role,
  kind: string,
  collection: string,
): Promise<string> {
  const name = uniqueName(`authz-${role}`);
  await fx.json('admin', collection, 201, { method: 'POST', body: configManifest(kind, name) });
  return name;
}

/** A minimal valid manifest of a template or policy kind. */
export function configManifest(kind: string, name: string) {
  const isTemplate = kind.endsWith('SandboxTemplate');
  const spec = isTemplate
    ? { inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' } }
    : {};
  return manifest(kind, name, spec);
}

/** The stored object as a full manifest to send back unchanged (PUT or apply). */
export async function currentManifest(fx: AuthzWorld, itemPath: string): Promise<JsonValue> {
  const { status: _status, ...object } = await fx.json<JsonValue>('admin', itemPath, 200);
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return { ...object, metadata };
}
