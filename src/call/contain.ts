/**
 * Containment of a bug in one call: an exception thrown while a call handles an event from its
 * caller or its model would otherwise escape into the socket's or the stream's listener and,
 * uncaught, end the whole process with every other call on it.
 */

/**
 * Wraps an event handler so that an exception it throws goes to `onError` instead of its caller.
 * @param handle the handler.
 * @param onError told of the exception (it must not throw itself; one thrown is swallowed).
 * @returns a handler with the same signature that never throws.
 */
export function contained<E>(handle: (event: E) => void, onError: (err: unknown) => void): (event: E) => void {
  return (event) => attempt(() => handle(event), onError);
}

/**
 * Runs `fn`; an exception it throws goes to `onError` (one `onError` throws is swallowed).
 * @param fn the work.
 * @param onError told of the exception.
 */
export function attempt(fn: () => void, onError: (err: unknown) => void): void {
  try {
    fn();
  } catch (err) {
    try {
      onError(err);
    } catch {
      // Nothing more can be done for this call; the process and the other calls go on.
    }
  }
}
