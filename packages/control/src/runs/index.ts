export * from './credential-delivery.ts';
export * from './harness-plan.ts';
export * from './run-admission.ts';
export * from './run-agent.ts';
export * from './run-controller.ts';
export * from './run-grants.ts';
export * from './run-pump.ts';
export * from './run-reconciler.ts';
