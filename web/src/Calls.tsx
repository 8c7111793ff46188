/**
 * The calls pages (`#/calls…`): the list of calls with search, filters and pages (`calls/CallList`)
 * and one call's page with its recording, waveform and timeline (`calls/CallPage`). Both read the
 * admin-only call-record routes; this shell holds the admin token the server may ask for.
 */
import { useCallback, useEffect, useState } from 'react';
import { CallList } from './calls/CallList.js';
import { CallPage } from './calls/CallPage.js';
import { parseCallsHash } from './calls/review.js';

/** The current `location.hash`, following its changes. */
function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** The calls pages; `token` is the sign-in token of the Talk page, used when no admin token is set. */
export function Calls({ token }: { token: string }) {
  const route = parseCallsHash(useHash());
  // The call records are for admins (README "Who may do what"); a local user needs nothing.
  const [adminToken, setAdminToken] = useState(() => localStorage.getItem('vb-admin-token') ?? '');
  const [needsAdmin, setNeedsAdmin] = useState(false);
  const saveAdminToken = (t: string) => {
    setAdminToken(t);
    localStorage.setItem('vb-admin-token', t);
  };
  const onRefused = useCallback(() => setNeedsAdmin(true), []);
  const bearer = adminToken || token;
  return (
    <section className="calls">
      {(needsAdmin || adminToken) && (
        <div className="banner">
          <label>
            Admin token <input type="password" value={adminToken} onChange={(e) => saveAdminToken(e.target.value)} placeholder="ADMIN_TOKEN" data-testid="admin-token" />
          </label>
        </div>
      )}
      {route.page === 'call' ? <CallPage key={route.id} id={route.id} bearer={bearer} onRefused={onRefused} /> : <CallList filters={route.filters} bearer={bearer} onRefused={onRefused} />}
    </section>
  );
}
