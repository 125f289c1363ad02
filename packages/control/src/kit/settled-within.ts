/**
 * How `promise` settled, if it settles within `ms`; undefined once `ms` have passed (it may still
 * settle later). The timer does not outlive the answer.
 */
export async function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<PromiseSettledResult<T> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([promise]).then(([result]) => result), late]);
  } finally {
    clearTimeout(timer);
  }
}
