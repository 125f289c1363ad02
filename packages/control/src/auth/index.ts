// Authentication, authorization (visibility) and the audit log types of the control plane.
export * from './api-keys.ts';
export * from './audit.ts';
export * from './auth-failure.ts';
export * from './authenticator.ts';
export * from './oidc.ts';
export * from './principal.ts';
