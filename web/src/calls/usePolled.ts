/** A React hook that loads something from the server, again every few seconds while asked to. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { RequestError } from './api.js';

/** What `usePolled` gives: the latest data, the latest error (cleared by a success), a reload. */
export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Loads again now. */
  reload: () => void;
}

/**
 * Calls `load` now and whenever `key` changes, then every `pollMs` while `pollMs` is not null;
 * answers that arrive after a newer request started are dropped. A refusal (401/403) also calls
 * `onRefused`, so the page can offer the admin-token field.
 */
export function usePolled<T>(load: () => Promise<T>, key: string, pollMs: number | null, onRefused: () => void): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    loadRef.current().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        if (err instanceof RequestError && (err.status === 401 || err.status === 403)) onRefused();
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, [onRefused]);
  useEffect(() => {
    setData(null);
    run();
  }, [key, run]);
  useEffect(() => {
    if (pollMs == null) return;
    const t = setInterval(run, pollMs);
    return () => clearInterval(t);
  }, [key, pollMs, run]);
  useEffect(() => () => void ++seq.current, []);
  return { data, error, reload: run };
}
