// Computes a namespace's effective policy and evaluates a sandbox request against it.
// Run: ./scripts/npm exec -- node examples/evaluate-policy.ts
import { effectivePolicy, evaluate } from '@paddock/core';

const policy = effectivePolicy(
  {
    resources: { maxCpu: '2', maxMemory: '4Gi' },
    maxTimeout: '4h',
    allowedEgressDomains: ['*.github.com', 'pypi.org'],
    sandboxes: { maxPerUser: 5 },
  },
  { maxTimeout: '1h', sandboxes: { maxPerNamespace: 20 } },
);
console.log('effective policy:', JSON.stringify(policy));

const violations = evaluate(
  {
    kind: 'sandbox',
    namespace: 'team-a',
    user: 'ada',
    templateRef: { name: 'python' },
    spec: {
      resources: { cpu: '4', memory: '2Gi' },
      timeout: '0',
      network: { egress: 'allowlist', allowedDomains: ['api.github.com', 'example.com'] },
    },
  },
  {
    namespaceSandboxes: 3,
    userSandboxes: 5,
    namespaceConcurrentRuns: 0,
    userConcurrentRuns: 0,
    userSpentTodayUsd: 0,
    namespaceSpentTodayUsd: 0,
  },
  policy,
);
for (const v of violations) console.log(`${v.code}\t${v.field}\t${v.message}`);
