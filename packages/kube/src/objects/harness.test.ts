import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_HARNESS,
  HARNESS_COPY_PATH,
  HARNESS_LAYOUT,
  HARNESS_PATH,
  SANDBOX_HARNESS_PATHS,
} from './harness.ts';
import { resolveObjectOptions } from './options.ts';
import { checkPodSecurity } from './pod-security.ts';
import { sandboxObjects } from './sandbox-objects.ts';
import { MAIN_CONTAINER } from './sandbox-pod.ts';
import { admittedSandbox, allObjects, validateObject } from './test-fixtures.ts';

const IMAGE = 'registry.example/paddock/paddock:0.1.0';

function podWith(harness: boolean) {
  const options = resolveObjectOptions(
    harness ? { harness: { ...DEFAULT_HARNESS, image: IMAGE } } : {},
  );
  const objects = sandboxObjects(
    admittedSandbox({ image: 'debian:bookworm-slim', network: { egress: 'none' } }),
    options,
  );
  return { objects, pod: objects.pod };
}

describe('the harness in a sandbox pod', () => {
  const { objects, pod } = podWith(true);
  const init = pod.spec?.initContainers?.[0];
  const sandbox = pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);

  it('passes the official schemas and Pod Security "restricted"', () => {
    for (const object of allObjects(objects)) validateObject(object);
    assert.deepEqual(checkPodSecurity(pod), []);
  });

  it("copies it with Paddock's image, hardened, as the sandbox's uid, into the emptyDir only", () => {
    assert.equal(pod.spec?.initContainers?.length, 1);
    assert.equal(init?.image, IMAGE);
    assert.deepEqual(init?.command, [
      'paddock',
      'controller',
      'copy-harness',
      `--to=${HARNESS_COPY_PATH}`,
      '--clis=claude-code',
    ]);
    assert.equal(init?.securityContext?.runAsUser, 1000);
    assert.equal(init?.securityContext?.runAsNonRoot, true);
    assert.equal(init?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(init?.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(init?.securityContext?.capabilities, { drop: ['ALL'] });
    assert.deepEqual(init?.resources?.limits, init?.resources?.requests);
    assert.deepEqual(init?.volumeMounts, [{ name: 'harness', mountPath: HARNESS_COPY_PATH }]);
  });

  it('mounts the emptyDir read-only in the sandbox container, where runs find the harness', () => {
    const mount = sandbox?.volumeMounts?.find((m) => m.name === 'harness');
    assert.deepEqual(mount, { name: 'harness', mountPath: HARNESS_PATH, readOnly: true });
    const volume = pod.spec?.volumes?.find((v) => v.name === 'harness');
    assert.deepEqual(volume?.emptyDir, { sizeLimit: DEFAULT_HARNESS.size });
    assert.equal(SANDBOX_HARNESS_PATHS.node, `${mount?.mountPath}/${HARNESS_LAYOUT.node}`);
    assert.equal(
      SANDBOX_HARNESS_PATHS.agentMain,
      `${mount?.mountPath}/${HARNESS_LAYOUT.agentMain}`,
    );
  });

  it("counts the emptyDir in the sandbox container's ephemeral storage", () => {
    const without = podWith(false).pod.spec?.containers[0]?.resources?.limits;
    assert.equal(without?.['ephemeral-storage'], '2304Mi');
    assert.equal(sandbox?.resources?.limits?.['ephemeral-storage'], '3328Mi');
    assert.deepEqual(sandbox?.resources?.limits, sandbox?.resources?.requests);
  });

  it('is absent when the options name no harness image', () => {
    const { pod: bare } = podWith(false);
    assert.equal(bare.spec?.initContainers, undefined);
    assert.ok(!bare.spec?.volumes?.some((v) => v.name === 'harness'));
  });
});
