// Who may see, use and change which object, and the admission of every write.
export * from './ownership.ts';
export * from './references.ts';
export * from './sandbox-use.ts';
export * from './write-admission.ts';
