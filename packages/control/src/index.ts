export * from './access/index.ts';
export * from './admission.ts';
export * from './auth/index.ts';
export * from './event-recorder.ts';
// The controller kit (src/kit/): what every controller is built from.
export { CachedStore } from './kit/cached-store.ts';
export { Controller, type ControllerOptions } from './kit/controller.ts';
export { addFinalizer, hasFinalizer, removeFinalizer } from './kit/finalizers.ts';
export {
  Informer,
  type InformerEvent,
  InformerEventType,
  type InformerHandler,
  type InformerOptions,
} from './kit/informer.ts';
export { ControllerManager } from './kit/manager.ts';
export { objectKeyOf, queueKey } from './kit/queue-key.ts';
export {
  type Lifecycle,
  type LifecycleState,
  type StatusObject,
  StatusWriter,
  type StatusWriterDeps,
} from './kit/status-writer.ts';
export {
  type Backoff,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  type ReconcileResult,
  type Retry,
  WorkQueue,
  type WorkQueueOptions,
} from './kit/work-queue.ts';
export { runLifecycle, sandboxLifecycle } from './lifecycles.ts';
export * from './provisioning.ts';
export * from './run-to-completion.ts';
export * from './runs/index.ts';
export * from './runtime-ref.ts';
export * from './sandbox-controller.ts';
export * from './sandbox-reconciler.ts';
export * from './warm-pool.ts';
