// Who may see, use and change which object, and the admission of every write.
export * from './api-key-access.ts';
export * from './credential-access.ts';
export * from './ownership.ts';
export * from './references.ts';
export * from './sandbox-use.ts';
export * from './write-admission.ts';
