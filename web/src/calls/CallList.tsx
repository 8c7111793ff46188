/**
 * The list of calls (`#/calls?…`): live calls with their state at the top, then ended calls from
 * `GET /calls`, newest first, a page at a time, with search in transcripts and filters kept in
 * the hash query so that a search is a link. A row opens a preview; its start time opens the
 * call's page.
 */
import { Fragment, useState, type FormEvent } from 'react';
import { endReasonLabel } from '../../../src/call/end-reason.js';
import { listCalls, type CallList as CallListData, type CallRecord } from './api.js';
import { apiQuery, callHash, duration, listHash, median, ms, usd, type ListFilters } from './review.js';
import { usePolled } from './usePolled.js';

/** End reason codes offered in the filter (the API matches a code and its `code: detail` forms). */
const END_REASONS = ['stop', 'socket-closed', 'peer-closed', 'inactivity', 'max-call-length', 'transferred', 'assistant-ended', 'model-closed', 'model-open-failed', 'server-shutdown', 'rtp-timeout', 'audio-flood'];
const CARRIERS = ['twilio', 'vonage', 'browser', 'webrtc'];

/** Local date and time a call started ("21 Nov, 14:05:09"); "—" when unknown. */
export function startTime(iso: string | undefined): string {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The search box and filters; they take effect in the hash (a new search starts at the newest page). */
function Filters({ filters, models }: { filters: ListFilters; models: string[] }) {
  const [draft, setDraft] = useState<ListFilters>(filters);
  const apply = (next: ListFilters) => {
    location.hash = listHash({ ...next, cursor: undefined });
  };
  const set = (key: keyof ListFilters, now = false) => (e: { target: { value: string } }) => {
    const next = { ...draft, [key]: e.target.value };
    setDraft(next);
    if (now) apply(next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  return (
    <form className="filters" onSubmit={submit} data-testid="filters">
      <input type="search" placeholder="words said in the call" value={draft.q ?? ''} onChange={set('q')} data-testid="search" aria-label="search transcripts" />
      <input list="vb-carriers" placeholder="carrier" value={draft.carrier ?? ''} onChange={set('carrier')} aria-label="carrier" size={9} />
      <datalist id="vb-carriers">{CARRIERS.map((c) => <option key={c} value={c} />)}</datalist>
      <input list="vb-models" placeholder="model" value={draft.model ?? ''} onChange={set('model')} aria-label="model" size={9} />
      <datalist id="vb-models">{models.map((m) => <option key={m} value={m} />)}</datalist>
      <select value={draft.endReason ?? ''} onChange={set('endReason', true)} aria-label="end reason">
        <option value="">any ending</option>
        {END_REASONS.map((r) => <option key={r} value={r}>{endReasonLabel(r)} ({r})</option>)}
      </select>
      <input type="date" value={draft.from ?? ''} onChange={set('from', true)} aria-label="from day" />
      <input type="date" value={draft.to ?? ''} onChange={set('to', true)} aria-label="to day" />
      <button type="submit" data-testid="search-go">Search</button>
      {Object.keys(filters).length > 0 && <a href="#/calls" className="clear">clear</a>}
    </form>
  );
}

/** A call's opening words, or its id when nobody spoke. */
function opening(c: CallRecord): string {
  const first = c.transcript[0];
  return first ? `“${first.text.slice(0, 40)}${first.text.length > 40 ? '…' : ''}”` : c.id.slice(0, 8);
}

/** One ended call: a row, and when opened the transcript below it. */
function Row({ c, open, toggle }: { c: CallRecord; open: boolean; toggle: () => void }) {
  const latency = median(c.turns.map((t) => t.replyLatencyMs));
  return (
    <Fragment>
      <tr className={open ? 'open' : ''} onClick={toggle} data-call={c.id}>
        <td>
          <a href={callHash(c.id)} data-testid="started" title={c.startedAt} className="started" onClick={(e) => e.stopPropagation()}>{startTime(c.startedAt)}</a>
        </td>
        <td>{duration(c.durationMs)}</td>
        <td>{c.kind}</td>
        <td>{c.model}</td>
        <td data-testid="ended" className={c.error ? 'bad' : ''} title={c.reason}>{c.reasonLabel ?? endReasonLabel(c.reason, c.error)}</td>
        <td title="median reply latency">{ms(latency)}</td>
        <td>{usd(c.costUsd)}</td>
        <td className="opening">{opening(c)}</td>
      </tr>
      {open && (
        <tr className="detail">
          <td colSpan={8}>
            {c.transcript.length === 0 ? <p className="hint">No words were exchanged.</p> : c.transcript.map((t, i) => (
              <div key={i} className={`line ${t.role}`}>
                <span className="who">{t.role === 'user' ? 'Caller' : 'Agent'}</span>
                <span className="text">{t.text}</span>
              </div>
            ))}
            <a href={callHash(c.id)} data-testid="open-call">Open the call: recording, timeline, turns →</a>
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/** Live calls with their state. */
function Live({ calls }: { calls: CallListData['live'] }) {
  if (calls.length === 0) return null;
  return (
    <table className="call-list live" data-testid="live">
      <tbody>
        {calls.map((c) => (
          <tr key={c.id} onClick={() => (location.hash = callHash(c.id))}>
            <td><span className={`badge state-${c.phase}`}>{c.phase}</span></td>
            <td>{startTime(c.startedAt)}</td>
            <td>{c.kind}</td>
            <td>{c.model}</td>
            <td>{c.turns} turns</td>
            <td className="opening">{c.transcript.at(-1)?.text.slice(0, 60) ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The list page. */
export function CallList({ filters, bearer, onRefused }: { filters: ListFilters; bearer: string; onRefused: () => void }) {
  const query = apiQuery(filters);
  const { data, error } = usePolled(() => listCalls(query, bearer), `${query} ${bearer}`, 3000, onRefused);
  const [open, setOpen] = useState<string | null>(null);
  const calls = data?.recent ?? null;
  const filtered = Object.keys(filters).some((k) => k !== 'cursor' && k !== 'per');
  const models = [...new Set((calls ?? []).map((c) => c.model))];
  return (
    <div className="panel">
      <h2>
        Calls <span className="hint">{data?.live.length ?? 0} live · {calls?.length ?? 0} on this page</span>
      </h2>
      {error && <div className="banner error">{error}</div>}
      <Filters key={JSON.stringify(filters)} filters={filters} models={models} />
      {data && <Live calls={data.live} />}
      {data?.totals && (
        <p className="hint" data-testid="totals">
          {data.totals.calls} calls · {duration(data.totals.durationMs)} in all · {usd(data.totals.costUsd)}
        </p>
      )}
      {calls && calls.length === 0 && <p className="hint">{filtered ? 'No calls match these filters.' : 'No calls yet. Make one on the Talk page or from a phone.'}</p>}
      <table className="call-list" data-testid="calls">
        {calls && calls.length > 0 && (
          <thead>
            <tr>
              <th>started</th>
              <th>length</th>
              <th>carrier</th>
              <th>model</th>
              <th>ended</th>
              <th>reply latency</th>
              <th>cost</th>
              <th>opening words</th>
            </tr>
          </thead>
        )}
        <tbody>
          {(calls ?? []).map((c) => <Row key={c.id} c={c} open={open === c.id} toggle={() => setOpen(open === c.id ? null : c.id)} />)}
        </tbody>
      </table>
      <div className="pages">
        {filters.cursor && <a href={listHash({ ...filters, cursor: undefined })} data-testid="newest">« Newest</a>}
        {data?.nextCursor && <a href={listHash({ ...filters, cursor: data.nextCursor })} data-testid="older">Older »</a>}
      </div>
    </div>
  );
}
