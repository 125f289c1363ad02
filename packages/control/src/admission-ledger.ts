import type { AdmissionResult } from './admission.ts';

/**
 * The sandbox reconciler's admissions that no status shows yet. A sandbox is admitted while it is
 * Pending, and its status says so (Creating, Running, Error) only once its start is under way or
 * over. Quotas count these meanwhile, and admissions are taken one at a time, so that sandboxes
 * created together cannot all pass a quota that has room for one of them.
 */
export class AdmissionLedger {
  readonly #unrecorded = new Set<string>();
  #tail: Promise<unknown> = Promise.resolve();

  /** The uids of sandboxes admitted whose status does not say so yet. */
  get unrecorded(): ReadonlySet<string> {
    return this.#unrecorded;
  }

  /**
   * Runs `admit` once every admission asked before it is done; an admitted `uid` is counted
   * until `recorded(uid)`.
   */
  admit(uid: string, admit: () => Promise<AdmissionResult>): Promise<AdmissionResult> {
    const result = this.#tail.then(async () => {
      const outcome = await admit();
      if (outcome.admitted) this.#unrecorded.add(uid);
      return outcome;
    });
    this.#tail = result.catch(() => {});
    return result;
  }

  /** The sandbox's status now says whether it was admitted, or its attempt is over. */
  recorded(uid: string): void {
    this.#unrecorded.delete(uid);
  }
}
