// Public surface of @paddock/api: the wire contract of the Paddock REST API.
export * from './accounts.ts';
export * from './audit.ts';
export * from './error-envelope.ts';
export * from './exec.ts';
export * from './files.ts';
export * from './http-status.ts';
export * from './list.ts';
export * from './openapi.ts';
export * from './route.ts';
export * from './routes.ts';
export * from './routes-resources.ts';
export * from './routes-sandbox.ts';
export * from './routes-system.ts';
export * from './sandbox-info.ts';
export * from './usage.ts';
