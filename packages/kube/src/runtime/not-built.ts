/**
 * What the pod runtime does not do yet: processes (the API server's `pods/exec` WebSocket), port
 * streams (`pods/portforward`) and files (built on exec). Each throws `runtime_unavailable`
 * naming what is missing, rather than pretending.
 */
import { ErrorCode, PaddockError, type SandboxFiles } from '@paddock/core';

export function notBuilt(what: string): PaddockError {
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `${what} in pods is not built yet: the Kubernetes runtime provisions, observes, stops, starts and destroys sandboxes only`,
    { missing: what },
  );
}

const reject = (what: string) => async (): Promise<never> => {
  throw notBuilt(what);
};

/** `files` of the pod runtime: every call `runtime_unavailable` (files go through exec). */
export const unbuiltFiles: SandboxFiles = {
  read: reject('reading files'),
  write: reject('writing files'),
  list: reject('listing files'),
  stat: reject('stat of files'),
  mkdir: reject('making directories'),
  move: reject('moving files'),
  remove: reject('removing files'),
  upload: reject('uploading archives'),
  download: reject('downloading archives'),
};
