import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, isPaddockError } from './errors.ts';
import { PolicySpec } from './policy.ts';
import {
  assertAllowed,
  domainCovered,
  evaluate,
  imageRepository,
  NO_USAGE,
  PolicyRequest,
  PolicyUsage,
  type RunPolicyRequest,
  runBudgetUsd,
  type SandboxPolicyRequest,
  Violation,
  ViolationCode,
} from './policy-engine.ts';
import type { SandboxEnvironment, TemplateRef } from './template.ts';

function sandbox(
  spec: SandboxEnvironment = {},
  templateRef: TemplateRef = { name: 'base' },
): SandboxPolicyRequest {
  return { kind: 'sandbox', namespace: 'team-a', user: 'alice', templateRef, spec };
}

function run(maxUsd?: number): RunPolicyRequest {
  const request: RunPolicyRequest = { kind: 'run', namespace: 'team-a', user: 'alice' };
  return maxUsd === undefined ? request : { ...request, maxUsd };
}

function codes(request: PolicyRequest, policy: PolicySpec, usage: Partial<PolicyUsage> = {}) {
  return evaluate(request, { ...NO_USAGE, ...usage }, policy).map((v) => v.code);
}

function only(
  request: PolicyRequest,
  policy: PolicySpec,
  usage: Partial<PolicyUsage> = {},
): Violation {
  const violations = evaluate(request, { ...NO_USAGE, ...usage }, policy);
  assert.equal(violations.length, 1, JSON.stringify(violations));
  const [first] = violations;
  assert.ok(first);
  return first;
}

describe('evaluate: templates', () => {
  const policy: PolicySpec = {
    allowedTemplates: ['base', 'python-*', 'ClusterSandboxTemplate/shared'],
  };

  it('allows a listed template and refuses an unlisted one, naming it', () => {
    assert.deepEqual(codes(sandbox({}, { name: 'base' }), policy), []);
    assert.deepEqual(only(sandbox({}, { name: 'ruby' }), policy), {
      code: ViolationCode.TemplateNotAllowed,
      field: 'templateRef',
      message:
        'template ruby is not allowed (allowed: base, python-*, ClusterSandboxTemplate/shared)',
    });
  });

  it('tells namespaced and cluster templates apart', () => {
    const cluster = { kind: 'ClusterSandboxTemplate', name: 'shared' } as const;
    assert.deepEqual(codes(sandbox({}, cluster), policy), []);
    assert.deepEqual(codes(sandbox({}, { name: 'shared' }), policy), ['template_not_allowed']);
    assert.deepEqual(codes(sandbox({}, { ...cluster, name: 'base' }), policy), [
      'template_not_allowed',
    ]);
    assert.deepEqual(codes(sandbox({}, { kind: 'SandboxTemplate', name: 'base' }), policy), []);
  });

  it('matches a trailing * as a prefix, and * as anything', () => {
    assert.deepEqual(codes(sandbox({}, { name: 'python-3' }), policy), []);
    assert.deepEqual(codes(sandbox({}, { name: 'python' }), policy), ['template_not_allowed']);
    const any = { allowedTemplates: ['*'] };
    assert.deepEqual(codes(sandbox({}, { kind: 'ClusterSandboxTemplate', name: 'x' }), any), []);
    const clusterOnly = { allowedTemplates: ['ClusterSandboxTemplate/*'] };
    assert.deepEqual(
      codes(sandbox({}, { kind: 'ClusterSandboxTemplate', name: 'x' }), clusterOnly),
      [],
    );
    assert.deepEqual(codes(sandbox({}, { name: 'x' }), clusterOnly), ['template_not_allowed']);
  });

  it('allows every template when unset and none when the list is empty', () => {
    assert.deepEqual(codes(sandbox({}, { name: 'anything' }), {}), []);
    assert.equal(
      only(sandbox(), { allowedTemplates: [] }).message,
      'template base is not allowed (allowed: none)',
    );
  });
});

describe('evaluate: image registries', () => {
  const policy: PolicySpec = { approvedImageRegistries: ['ghcr.io/acme', 'docker.io/library/'] };

  it('normalises image references as Docker does', () => {
    assert.equal(imageRepository('ubuntu'), 'docker.io/library/ubuntu');
    assert.equal(imageRepository('ubuntu:24.04'), 'docker.io/library/ubuntu');
    assert.equal(imageRepository('acme/tool@sha256:abc'), 'docker.io/acme/tool');
    assert.equal(imageRepository('index.docker.io/library/node:24'), 'docker.io/library/node');
    assert.equal(imageRepository('docker.io/ubuntu'), 'docker.io/library/ubuntu');
    assert.equal(imageRepository('index.docker.io/acme/x'), 'docker.io/acme/x');
    assert.equal(imageRepository('localhost:5000/x:1'), 'localhost:5000/x');
    assert.equal(imageRepository('ghcr.io/acme/x:1'), 'ghcr.io/acme/x');
  });

  it('approves images below an approved prefix on a path boundary only', () => {
    assert.deepEqual(codes(sandbox({ image: 'ghcr.io/acme/x:1' }), policy), []);
    assert.deepEqual(codes(sandbox({ image: 'ghcr.io/acme/team/x@sha256:00' }), policy), []);
    assert.deepEqual(codes(sandbox({ image: 'ubuntu' }), policy), []);
    assert.deepEqual(only(sandbox({ image: 'ghcr.io/acmeevil/x' }), policy), {
      code: ViolationCode.ImageRegistryNotApproved,
      field: 'spec.image',
      message:
        'image ghcr.io/acmeevil/x (ghcr.io/acmeevil/x) is not from an approved registry (approved: ghcr.io/acme, docker.io/library/)',
    });
    assert.deepEqual(codes(sandbox({ image: 'acme/tool' }), policy), [
      'image_registry_not_approved',
    ]);
  });

  it('has nothing to check without an image or without a list', () => {
    assert.deepEqual(codes(sandbox({ rootfs: '/srv/rootfs' }), policy), []);
    assert.deepEqual(codes(sandbox({ image: 'evil.io/x' }), {}), []);
    assert.deepEqual(codes(sandbox({ image: 'ubuntu' }), { approvedImageRegistries: [] }), [
      'image_registry_not_approved',
    ]);
  });
});

describe('evaluate: resource caps', () => {
  const policy: PolicySpec = { resources: { maxCpu: '2', maxMemory: '1Gi', maxStorage: '10Gi' } };

  it('allows values equal to the cap in any unit', () => {
    const spec = {
      resources: { cpu: '2000m', memory: '1024Mi', storage: '10Gi' },
      workspace: { size: '10240Mi' },
    };
    assert.deepEqual(codes(sandbox(spec), policy), []);
  });

  it('refuses one unit over each cap, naming the value and the limit', () => {
    assert.deepEqual(only(sandbox({ resources: { cpu: '2001m' } }), policy), {
      code: ViolationCode.CpuLimitExceeded,
      field: 'spec.resources.cpu',
      message: 'cpu 2001m exceeds the limit 2',
    });
    assert.deepEqual(only(sandbox({ resources: { memory: '1025Mi' } }), policy), {
      code: ViolationCode.MemoryLimitExceeded,
      field: 'spec.resources.memory',
      message: 'memory 1025Mi exceeds the limit 1Gi',
    });
    assert.equal(
      only(sandbox({ resources: { storage: '10241Mi' } }), policy).field,
      'spec.resources.storage',
    );
    assert.deepEqual(only(sandbox({ workspace: { size: '11Gi' } }), policy), {
      code: ViolationCode.StorageLimitExceeded,
      field: 'spec.workspace.size',
      message: 'workspace size 11Gi exceeds the limit 10Gi',
    });
  });

  it('does not count an absent request value or an absent cap', () => {
    assert.deepEqual(codes(sandbox({ resources: { pids: 10 } }), policy), []);
    assert.deepEqual(codes(sandbox({ resources: { cpu: '64', memory: '1Ti' } }), {}), []);
  });
});

describe('evaluate: timeouts', () => {
  const policy: PolicySpec = { maxTimeout: '1h', maxIdleTimeout: '10m' };

  it('allows a timeout up to the cap and refuses one over it', () => {
    assert.deepEqual(codes(sandbox({ timeout: '60m', idleTimeout: '600s' }), policy), []);
    assert.deepEqual(only(sandbox({ timeout: '3601s', idleTimeout: '10m' }), policy), {
      code: ViolationCode.TimeoutExceeded,
      field: 'spec.timeout',
      message: 'timeout 3601s exceeds the limit 1h',
    });
    assert.deepEqual(only(sandbox({ timeout: '1h', idleTimeout: '601s' }), policy), {
      code: ViolationCode.IdleTimeoutExceeded,
      field: 'spec.idleTimeout',
      message: 'idleTimeout 601s exceeds the limit 10m',
    });
  });

  it('treats 0 and absent as no limit, which exceeds any finite cap', () => {
    const zero = evaluate(sandbox({ timeout: '0', idleTimeout: '0' }), NO_USAGE, policy);
    assert.deepEqual(
      zero.map((v) => v.message),
      [
        'timeout 0 (no limit) exceeds the limit 1h',
        'idleTimeout 0 (no limit) exceeds the limit 10m',
      ],
    );
    assert.deepEqual(codes(sandbox({}), policy), ['timeout_exceeded', 'idle_timeout_exceeded']);
    assert.equal(
      only(sandbox({ idleTimeout: '1m' }), { maxTimeout: '1h' }).message,
      'timeout none (no limit) exceeds the limit 1h',
    );
  });

  it('reads a cap of 0, or no cap, as no limit at all', () => {
    const uncapped = { maxTimeout: '0', maxIdleTimeout: '0' };
    assert.deepEqual(codes(sandbox({ timeout: '0' }), uncapped), []);
    assert.deepEqual(codes(sandbox({ timeout: '1000h', idleTimeout: '1000h' }), uncapped), []);
    assert.deepEqual(codes(sandbox({}), {}), []);
  });
});

describe('evaluate: egress', () => {
  const policy: PolicySpec = { allowedEgressDomains: ['*.example.com', 'api.anthropic.com'] };

  it('covers subdomains and subdomain patterns with *., but not the apex', () => {
    assert.ok(domainCovered('a.example.com', '*.example.com'));
    assert.ok(domainCovered('*.a.example.com', '*.example.com'));
    assert.ok(!domainCovered('example.com', '*.example.com'));
    assert.ok(!domainCovered('notexample.com', '*.example.com'));
    assert.ok(!domainCovered('a.api.anthropic.com', 'api.anthropic.com'));
  });

  it('allows covered domains and refuses each uncovered one at its index', () => {
    const ok: SandboxEnvironment = {
      network: {
        egress: 'allowlist',
        allowedDomains: ['a.example.com', '*.b.example.com', 'api.anthropic.com'],
      },
    };
    assert.deepEqual(codes(sandbox(ok), policy), []);
    const bad: SandboxEnvironment = {
      network: {
        egress: 'allowlist',
        allowedDomains: ['example.com', 'a.example.com', 'evil.com'],
      },
    };
    assert.deepEqual(evaluate(sandbox(bad), NO_USAGE, policy), [
      {
        code: ViolationCode.EgressDomainNotAllowed,
        field: 'spec.network.allowedDomains[0]',
        message:
          'egress domain example.com is not allowed (allowed: *.example.com, api.anthropic.com)',
      },
      {
        code: ViolationCode.EgressDomainNotAllowed,
        field: 'spec.network.allowedDomains[2]',
        message:
          'egress domain evil.com is not allowed (allowed: *.example.com, api.anthropic.com)',
      },
    ]);
  });

  it('refuses open egress when domains are restricted, and only then', () => {
    assert.deepEqual(
      only(sandbox({ network: { egress: 'open' } }), policy).field,
      'spec.network.egress',
    );
    assert.deepEqual(
      codes(sandbox({ network: { egress: 'open' } }), { allowedEgressDomains: [] }),
      ['egress_domain_not_allowed'],
    );
    assert.deepEqual(
      codes(sandbox({ network: { egress: 'open', allowedDomains: ['evil.com'] } }), {}),
      [],
    );
  });

  it('ignores listed domains when egress is none', () => {
    assert.deepEqual(
      codes(sandbox({ network: { egress: 'none', allowedDomains: ['evil.com'] } }), policy),
      [],
    );
    assert.deepEqual(codes(sandbox({ network: { allowedDomains: ['evil.com'] } }), policy), [
      'egress_domain_not_allowed',
    ]);
  });
});

describe('evaluate: host paths', () => {
  const mount = (hostPath: string, name = 'data') => ({
    name,
    mountPath: `/mnt/${name}`,
    hostPath,
  });

  it('allows a host path at or below an allowed root, on a path boundary only', () => {
    const policy: PolicySpec = { allowedHostPaths: ['/srv/shared', '/data/models'] };
    const spec = {
      mounts: [mount('/srv/shared', 'a'), mount('/data/models/llama', 'b')],
    };
    assert.deepEqual(codes(sandbox(spec), policy), []);
    assert.deepEqual(only(sandbox({ mounts: [mount('/srv/sharedevil')] }), policy), {
      code: ViolationCode.HostPathNotAllowed,
      field: 'spec.mounts[0].hostPath',
      message:
        'host path /srv/sharedevil is not under an allowed host path (allowed: /srv/shared, /data/models)',
    });
  });

  it('allows no host path when the policy lists none or leaves the field unset', () => {
    const spec = { mounts: [{ name: 'c', mountPath: '/c', credential: 'x' }, mount('/srv')] };
    for (const policy of [{}, { allowedHostPaths: [] }] satisfies PolicySpec[]) {
      const found = evaluate(sandbox(spec), NO_USAGE, policy);
      assert.deepEqual(
        found.map((v) => `${v.code}@${v.field}`),
        ['host_path_not_allowed@spec.mounts[1].hostPath'],
      );
      assert.match(found[0]?.message ?? '', /\(allowed: none\)$/);
    }
  });
});

describe('evaluate: sandbox quotas', () => {
  const policy: PolicySpec = { sandboxes: { maxPerNamespace: 3, maxPerUser: 2 } };

  it('allows the sandbox that reaches the maximum and refuses the one past it', () => {
    assert.deepEqual(codes(sandbox(), policy, { namespaceSandboxes: 2, userSandboxes: 1 }), []);
    assert.deepEqual(
      evaluate(sandbox(), { ...NO_USAGE, namespaceSandboxes: 3, userSandboxes: 2 }, policy),
      [
        {
          code: ViolationCode.NamespaceQuotaExceeded,
          field: 'namespace',
          message: 'namespace team-a has 3 sandboxes, the limit is 3',
        },
        {
          code: ViolationCode.UserQuotaExceeded,
          field: 'user',
          message: 'user alice has 2 sandboxes, the limit is 2',
        },
      ],
    );
  });

  it('refuses every sandbox under a quota of 0', () => {
    assert.deepEqual(codes(sandbox(), { sandboxes: { maxPerUser: 0 } }), ['user_quota_exceeded']);
  });

  it('does not apply sandbox quotas to runs', () => {
    assert.deepEqual(codes(run(), policy, { namespaceSandboxes: 9, userSandboxes: 9 }), []);
  });
});

describe('evaluate: runs', () => {
  it('allows the run that reaches the concurrency maximum and refuses the one past it', () => {
    const policy: PolicySpec = { runs: { maxConcurrentPerNamespace: 5, maxConcurrentPerUser: 2 } };
    assert.deepEqual(
      codes(run(), policy, { namespaceConcurrentRuns: 4, userConcurrentRuns: 1 }),
      [],
    );
    assert.deepEqual(only(run(), policy, { namespaceConcurrentRuns: 5, userConcurrentRuns: 1 }), {
      code: ViolationCode.ConcurrentRunsExceeded,
      field: 'namespace',
      message: 'namespace team-a has 5 concurrent runs, the limit is 5',
    });
    assert.equal(
      only(run(), policy, { namespaceConcurrentRuns: 4, userConcurrentRuns: 2 }).field,
      'user',
    );
  });

  it('refuses a per-run budget over the cap, and caps a run that asks none', () => {
    const policy: PolicySpec = { budgets: { maxUsdPerRun: 10 } };
    assert.deepEqual(codes(run(10), policy), []);
    assert.deepEqual(only(run(10.01), policy), {
      code: ViolationCode.BudgetExceeded,
      field: 'maxUsd',
      message: 'maxUsd 10.01 exceeds the per-run limit 10',
    });
    assert.deepEqual(codes(run(), policy), []);
    assert.equal(runBudgetUsd(undefined, policy), 10);
    assert.equal(runBudgetUsd(4, policy), 4);
    assert.equal(runBudgetUsd(40, policy), 10);
    assert.equal(runBudgetUsd(undefined, {}), undefined);
  });

  it('refuses runs once today’s spend reaches a daily limit', () => {
    const policy: PolicySpec = {
      budgets: { maxUsdPerUserPerDay: 20, maxUsdPerNamespacePerDay: 100 },
    };
    assert.deepEqual(
      codes(run(), policy, { userSpentTodayUsd: 19.99, namespaceSpentTodayUsd: 99.99 }),
      [],
    );
    assert.deepEqual(only(run(), policy, { userSpentTodayUsd: 20 }), {
      code: ViolationCode.BudgetExceeded,
      field: 'user',
      message: 'user alice spent 20 USD today, the daily limit is 20',
    });
    assert.equal(only(run(), policy, { namespaceSpentTodayUsd: 100 }).field, 'namespace');
  });
});

const STRICT: PolicySpec = {
  sandboxes: { maxPerNamespace: 1, maxPerUser: 1 },
  resources: { maxCpu: '1', maxMemory: '1Gi', maxStorage: '1Gi' },
  maxTimeout: '1h',
  maxIdleTimeout: '10m',
  allowedTemplates: ['base'],
  approvedImageRegistries: ['ghcr.io/acme'],
  allowedEgressDomains: ['*.example.com'],
  allowedHostPaths: ['/srv/shared'],
  budgets: { maxUsdPerRun: 1, maxUsdPerUserPerDay: 5, maxUsdPerNamespacePerDay: 50 },
  runs: { maxConcurrentPerNamespace: 1, maxConcurrentPerUser: 1 },
};
const FULL: PolicyUsage = {
  namespaceSandboxes: 1,
  userSandboxes: 1,
  namespaceConcurrentRuns: 1,
  userConcurrentRuns: 1,
  userSpentTodayUsd: 5,
  namespaceSpentTodayUsd: 50,
};
const GREEDY = sandbox(
  {
    image: 'docker.io/evil/x',
    resources: { cpu: '2', memory: '2Gi', storage: '2Gi' },
    timeout: '0',
    network: { egress: 'open', allowedDomains: ['evil.com'] },
    mounts: [{ name: 'root', mountPath: '/mnt/root', hostPath: '/root' }],
  },
  { name: 'other' },
);

describe('evaluate: many violations at once', () => {
  it('returns every broken sandbox rule, not the first', () => {
    assert.deepEqual(codes(GREEDY, STRICT, FULL), [
      'template_not_allowed',
      'image_registry_not_approved',
      'cpu_limit_exceeded',
      'memory_limit_exceeded',
      'storage_limit_exceeded',
      'timeout_exceeded',
      'idle_timeout_exceeded',
      'egress_domain_not_allowed',
      'egress_domain_not_allowed',
      'host_path_not_allowed',
      'namespace_quota_exceeded',
      'user_quota_exceeded',
    ]);
  });

  it('returns every broken run rule, not the first', () => {
    const found = evaluate(run(2), FULL, STRICT).map((v) => `${v.code}@${v.field}`);
    assert.deepEqual(found, [
      'concurrent_runs_exceeded@namespace',
      'concurrent_runs_exceeded@user',
      'budget_exceeded@maxUsd',
      'budget_exceeded@user',
      'budget_exceeded@namespace',
    ]);
  });

  it('covers every violation code between the two', () => {
    const seen = new Set([...codes(GREEDY, STRICT, FULL), ...codes(run(2), STRICT, FULL)]);
    assert.deepEqual([...seen].sort(), Object.values(ViolationCode).sort());
  });
});

describe('assertAllowed', () => {
  it('returns quietly when nothing is violated', () => {
    assert.equal(assertAllowed(run(1), NO_USAGE, STRICT), undefined);
  });

  it('throws policy_violation carrying every violation as JSON-safe details', () => {
    assert.throws(
      () => assertAllowed(run(2), FULL, STRICT),
      (error: unknown) => {
        assert.ok(isPaddockError(error, ErrorCode.PolicyViolation));
        assert.equal(
          error.message,
          'run refused by policy: 5 violations (concurrent_runs_exceeded, budget_exceeded)',
        );
        assert.deepEqual(error.details, { violations: evaluate(run(2), FULL, STRICT) });
        assert.deepEqual(JSON.parse(JSON.stringify(error.details)), error.details);
        return true;
      },
    );
  });

  it('says violation in the singular for one', () => {
    assert.throws(() => assertAllowed(run(2), NO_USAGE, STRICT), {
      message: 'run refused by policy: 1 violation (budget_exceeded)',
    });
  });
});

describe('evaluate: properties', () => {
  const quantity = fc.oneof(
    fc.integer({ min: 0, max: 5000 }).map((n) => `${n}m`),
    fc.integer({ min: 0, max: 64 }).map(String),
    fc.integer({ min: 0, max: 4096 }).map((n) => `${n}Mi`),
    fc.integer({ min: 0, max: 64 }).map((n) => `${n}Gi`),
  );
  // A workspace is 16Mi at least (admission refuses smaller).
  const workspaceSize = fc.oneof(
    fc.integer({ min: 16, max: 4096 }).map((n) => `${n}Mi`),
    fc.integer({ min: 1, max: 64 }).map((n) => `${n}Gi`),
  );
  const duration = fc.oneof(
    fc.constant('0'),
    fc.integer({ min: 1, max: 5000 }).map((n) => `${n}s`),
    fc.integer({ min: 1, max: 100 }).map((n) => `${n}m`),
    fc.integer({ min: 1, max: 48 }).map((n) => `${n}h`),
  );
  const domain = fc.constantFrom(
    'example.com',
    '*.example.com',
    'a.example.com',
    'evil.com',
    '*.a.example.com',
  );
  const templateName = fc.constantFrom('base', 'python-3', 'other');
  const optional = { requiredKeys: [] as [] };
  const count = fc.integer({ min: 0, max: 20 });
  const usd = fc.double({ min: 0.01, max: 100, noNaN: true });

  const policy = fc.record(
    {
      sandboxes: fc.record({ maxPerNamespace: count, maxPerUser: count }, optional),
      resources: fc.record(
        { maxCpu: quantity, maxMemory: quantity, maxStorage: quantity },
        optional,
      ),
      maxTimeout: duration,
      maxIdleTimeout: duration,
      allowedTemplates: fc.array(
        fc.constantFrom('*', 'base', 'python-*', 'ClusterSandboxTemplate/*'),
      ),
      approvedImageRegistries: fc.array(
        fc.constantFrom('ghcr.io/acme', 'docker.io/library', 'docker.io'),
      ),
      allowedEgressDomains: fc.array(domain),
      budgets: fc.record(
        { maxUsdPerRun: usd, maxUsdPerUserPerDay: usd, maxUsdPerNamespacePerDay: usd },
        optional,
      ),
      runs: fc.record({ maxConcurrentPerNamespace: count, maxConcurrentPerUser: count }, optional),
    },
    optional,
  );
  const request = fc.oneof(
    fc.record({
      kind: fc.constant('sandbox' as const),
      namespace: fc.constant('team-a'),
      user: fc.constant('alice'),
      templateRef: fc.record(
        { kind: fc.constantFrom('SandboxTemplate', 'ClusterSandboxTemplate'), name: templateName },
        { requiredKeys: ['name'] },
      ),
      spec: fc.record(
        {
          image: fc.constantFrom('ubuntu', 'ghcr.io/acme/x:1', 'evil.io/x@sha256:00', 'acme/tool'),
          resources: fc.record(
            { cpu: quantity, memory: quantity, storage: workspaceSize },
            optional,
          ),
          workspace: fc.record({ size: workspaceSize }, optional),
          timeout: duration,
          idleTimeout: duration,
          network: fc.record(
            {
              egress: fc.constantFrom('none', 'allowlist', 'open'),
              allowedDomains: fc.array(domain),
            },
            optional,
          ),
        },
        optional,
      ),
    }),
    fc.record(
      {
        kind: fc.constant('run' as const),
        namespace: fc.constant('team-a'),
        user: fc.constant('bob'),
        maxUsd: usd,
      },
      { requiredKeys: ['kind', 'namespace', 'user'] },
    ),
  );
  const usage = fc.record({
    namespaceSandboxes: count,
    userSandboxes: count,
    namespaceConcurrentRuns: count,
    userConcurrentRuns: count,
    userSpentTodayUsd: fc.double({ min: 0, max: 200, noNaN: true }),
    namespaceSpentTodayUsd: fc.double({ min: 0, max: 200, noNaN: true }),
  });

  it('is deterministic, never throws for valid input, and yields only well-formed violations', () => {
    fc.assert(
      fc.property(request, usage, policy, (rawRequest, rawUsage, rawPolicy) => {
        const r = PolicyRequest.parse(rawRequest);
        const u = PolicyUsage.parse(rawUsage);
        const p = PolicySpec.parse(rawPolicy);
        const first = evaluate(r, u, p);
        assert.deepEqual(evaluate(r, u, p), first);
        for (const v of first) assert.deepEqual(Violation.parse(v), v);
      }),
      { numRuns: 500 },
    );
  });

  it('finds nothing under an empty policy', () => {
    fc.assert(
      fc.property(request, usage, (r, u) => evaluate(PolicyRequest.parse(r), u, {}).length === 0),
      { numRuns: 200 },
    );
  });
});
