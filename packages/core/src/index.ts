// Public surface of @paddock/core: the pure domain of Paddock.
export * from './agent.ts';
export * from './conditions.ts';
export * from './duration.ts';
export * from './errors.ts';
export * from './metadata.ts';
export * from './policy.ts';
export * from './policy-engine.ts';
export * from './quantity.ts';
export * from './resources.ts';
export * from './run.ts';
export * from './run-lifecycle.ts';
export * from './sandbox.ts';
export * from './sandbox-lifecycle.ts';
export * from './template.ts';
export * from './template-merge.ts';
export * from './template-resolve.ts';
export * from './validation.ts';
