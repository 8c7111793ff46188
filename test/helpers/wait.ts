/**
 * Waiting on conditions instead of sleeping: a test states what it waits for and gets a clear
 * failure naming it, and on a busy machine it simply waits longer rather than flaking.
 */

/**
 * Resolves with `check()`'s value once it is truthy. `check` runs now and then every `intervalMs`
 * (default 10 ms) until `timeoutMs` (default 20 s) has passed.
 * @throws Error "timed out after N ms waiting for WHAT" (with the last error `check` threw, if any).
 */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, intervalMs = 10): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
