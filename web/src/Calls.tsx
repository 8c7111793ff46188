/**
 * The calls pages (`#/calls…`): the list of calls with search, filters and pages (`calls/CallList`)
 * and one call's page with its recording, waveform and timeline (`calls/CallPage`). Both read the
 * admin-only call-record routes; this shell holds the admin token the server may ask for.
 */
import { useEffect, useState } from 'react';
import { AdminTokenField, useAdminToken } from './admin-token.js';
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
  const admin = useAdminToken();
  const bearer = admin.adminToken || token;
  return (
    <section className="calls">
      <AdminTokenField admin={admin} />
      {route.page === 'call' ? <CallPage key={route.id} id={route.id} bearer={bearer} onRefused={admin.refused} /> : <CallList filters={route.filters} bearer={bearer} onRefused={admin.refused} />}
    </section>
  );
}
