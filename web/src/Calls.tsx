/**
 * The calls page: recent calls from `GET /calls`, newest first, each with its start time, its end
 * reason in plain language, its transcript, its tool calls and, when the server records calls, its
 * recording.
 */
import { useEffect, useState } from 'react';
import { endReasonLabel } from '../../src/call/end-reason.js';
import type { CallSummary } from '../../src/call/types.js';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Local date and time a call started ("21 Nov, 14:05:09"); "—" when unknown. */
function startTime(iso: string | undefined): string {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Why the server refused the call list (401/403), in plain words. */
function refusal(status: number): string {
  return status === 401
    ? 'The call list needs the admin token (ADMIN_TOKEN) or a sign-in token with the admin scope.'
    : 'This token may not list calls, or the server lists them only on its own machine: paste the admin token.';
}

/** A value in one short line (JSON, cut at 120 characters). */
function brief(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** A call's tool calls: name, arguments, result or error, duration. */
function ToolCalls({ calls }: { calls: CallSummary['toolCalls'] }) {
  return (
    <ul className="tools" data-testid="tool-calls">
      {calls.map((t, i) => (
        <li key={i} className={t.ok ? '' : 'bad'}>
          <code>{t.name}({brief(t.arguments ?? {})})</code> → {t.ok ? brief(t.result) : `error: ${t.error}`} · {t.durationMs} ms{t.heldCaller ? ' · caller heard the hold phrase' : ''}
        </li>
      ))}
    </ul>
  );
}

/**
 * A call's recording (`GET /calls/:id/recording.wav`, caller left, agent right), fetched with the
 * admin credentials (an audio element cannot send them) and played from memory; a note when the
 * server has none (recordings off: `RECORD_CALLS`).
 */
function Recording({ callId, bearer }: { callId: string; bearer: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let stop = false;
    fetch(`/calls/${encodeURIComponent(callId)}/recording.wav`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.status === 404 ? 'No recording of this call (the server records calls with RECORD_CALLS=true).' : `Recording: HTTP ${r.status}`))))
      .then((b) => {
        if (stop) return;
        url = URL.createObjectURL(b);
        setSrc(url);
      })
      .catch((err: Error) => !stop && setNote(err.message));
    return () => {
      stop = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [callId, bearer]);
  if (note) return <p className="hint">{note}</p>;
  return src ? <audio controls src={src} data-testid="recording" title="caller left, agent right" /> : null;
}

export function Calls({ token }: { token: string }) {
  const [calls, setCalls] = useState<CallSummary[] | null>(null);
  const [live, setLive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  // The call list is for admins (README "Who may do what"); a local user needs nothing.
  const [adminToken, setAdminToken] = useState(() => localStorage.getItem('vb-admin-token') ?? '');
  const [needsAdmin, setNeedsAdmin] = useState(false);
  useEffect(() => {
    let stop = false;
    const bearer = adminToken || token;
    const load = () =>
      fetch('/calls', { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} })
        .then((r) => {
          if (r.ok) return r.json();
          if (r.status === 401 || r.status === 403) {
            setNeedsAdmin(true);
            return Promise.reject(new Error(refusal(r.status)));
          }
          return Promise.reject(new Error(`HTTP ${r.status}`));
        })
        .then((j: { live: unknown[]; recent: CallSummary[] }) => {
          if (stop) return;
          setCalls(j.recent);
          setLive(j.live.length);
          setError(null);
        })
        .catch((err: Error) => !stop && setError(err.message.startsWith('HTTP') || err.message.includes('token') ? err.message : 'The server is unreachable.'));
    void load();
    const t = setInterval(load, 3000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [token, adminToken]);
  const saveAdminToken = (t: string) => {
    setAdminToken(t);
    localStorage.setItem('vb-admin-token', t);
  };

  return (
    <section className="calls">
      <div className="panel">
        <h2>
          Calls <span className="hint">{live} live · {calls?.length ?? 0} recent</span>
        </h2>
        {error && <div className="banner error">{error}</div>}
        {(needsAdmin || adminToken) && (
          <div className="banner">
            <label>
              Admin token <input type="password" value={adminToken} onChange={(e) => saveAdminToken(e.target.value)} placeholder="ADMIN_TOKEN" data-testid="admin-token" />
            </label>
          </div>
        )}
        {calls && calls.length === 0 && <p className="hint">No calls yet. Make one on the Talk page or from a phone.</p>}
        <table className="call-list" data-testid="calls">
          {calls && calls.length > 0 && (
            <thead>
              <tr>
                <th>started</th>
                <th>opening words</th>
                <th>caller</th>
                <th>model</th>
                <th>length</th>
                <th>turns</th>
                <th>barge-ins</th>
                <th>ended</th>
              </tr>
            </thead>
          )}
          <tbody>
            {(calls ?? []).map((c) => (
              <>
                <tr key={c.id} className={open === c.id ? 'open' : ''} onClick={() => setOpen(open === c.id ? null : c.id)}>
                  <td data-testid="started" title={c.startedAt}>{startTime(c.startedAt)}</td>
                  <td>{c.transcript[0] ? `“${c.transcript[0].text.slice(0, 40)}${c.transcript[0].text.length > 40 ? '…' : ''}”` : c.id.slice(0, 8)}</td>
                  <td>{c.kind}</td>
                  <td>{c.model}</td>
                  <td>{duration(c.durationMs)}</td>
                  <td>{c.turns.length}</td>
                  <td>{c.bargeIns}</td>
                  <td data-testid="ended" className={c.error ? 'bad' : ''} title={c.reason}>{c.reasonLabel ?? endReasonLabel(c.reason, c.error)}</td>
                </tr>
                {open === c.id && (
                  <tr key={`${c.id}-t`} className="detail">
                    <td colSpan={8}>
                      <Recording callId={c.id} bearer={adminToken || token} />
                      {c.transcript.length === 0 ? (
                        <p className="hint">No words were exchanged.</p>
                      ) : (
                        c.transcript.map((t, i) => (
                          <div key={i} className={`line ${t.role}`}>
                            <span className="who">{t.role === 'user' ? 'Caller' : 'Agent'}</span>
                            <span className="text">{t.text}</span>
                          </div>
                        ))
                      )}
                      {c.toolCalls.length > 0 && <ToolCalls calls={c.toolCalls} />}
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
