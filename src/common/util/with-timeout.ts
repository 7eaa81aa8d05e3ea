/**
 * Settles like `promise`, or, if it has not settled after `ms`, like `onTimeout()` (which
 * may return a fallback or throw). The original promise keeps running; use this where a
 * dependency may hang (Redis calls while Redis is unreachable).
 */
export async function withTimeout<V>(
  promise: Promise<V>,
  ms: number,
  onTimeout: () => V,
): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<V>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err);
      }
    }, ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
