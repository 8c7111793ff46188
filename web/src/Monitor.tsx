/**
 * The live performance monitor: `GET /monitor` every 2 s, as tiles (active calls, CPU, event-loop
 * lag, reply latency, underruns, memory, store backlog) with sparklines of the last samples of CPU
 * and lag. An admin route, like the call list: a user on the server's machine needs nothing, else
 * the admin token (shared with the Calls page) or a sign-in token with the admin scope.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { MonitorSnapshot } from '../../src/observability/monitor.js';
import './monitor.css';
import { AdminTokenField, useAdminToken } from './admin-token.js';

/** How often the panel asks, ms. */
const REFRESH_MS = 2000;
/** Samples kept for the sparklines (one a refresh: the last minute). */
const HISTORY = 30;

/** Why the server refused (401/403), in plain words. */
function refusal(status: number): string {
  return status === 401
    ? 'The monitor needs the admin token (ADMIN_TOKEN) or a sign-in token with the admin scope.'
    : 'This token may not read the monitor, or the server shows it only on its own machine: paste the admin token.';
}

const ms = (v: number | null) => (v === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const lagMs = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

function uptime(msUp: number): string {
  const s = Math.floor(msUp / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A line of `values` scaled to the panel (0 at the bottom, at least `floor` at the top). */
function Sparkline({ values, floor }: { values: number[]; floor: number }) {
  if (values.length < 2) return null;
  const top = Math.max(floor, ...values);
  const points = values.map((v, i) => `${((i / (HISTORY - 1)) * 100).toFixed(1)},${(28 - (v / top) * 26).toFixed(1)}`).join(' ');
  return (
    <svg className="spark" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden>
      <polyline points={points} />
    </svg>
  );
}

/** One figure: its name, value, a line of detail and an optional sparkline. */
function Tile({ id, name, value, detail, warn, children }: { id: string; name: string; value: string; detail?: string; warn?: boolean; children?: ReactNode }) {
  return (
    <div className={`tile${warn ? ' warn' : ''}`}>
      <div className="name">{name}</div>
      <div className="value" data-testid={id}>{value}</div>
      {detail && <div className="detail">{detail}</div>}
      {children}
    </div>
  );
}

export function Monitor({ token }: { token: string }) {
  const [snap, setSnap] = useState<MonitorSnapshot | null>(null);
  const [history, setHistory] = useState<{ cpu: number; lag: number }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const admin = useAdminToken();
  const { adminToken, refused } = admin;
  useEffect(() => {
    let stop = false;
    const bearer = adminToken || token;
    const load = () =>
      fetch('/monitor', { headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, cache: 'no-store' })
        .then((r) => {
          if (r.ok) return r.json();
          if (r.status === 401 || r.status === 403) {
            refused();
            return Promise.reject(new Error(refusal(r.status)));
          }
          return Promise.reject(new Error(`HTTP ${r.status}`));
        })
        .then((s: MonitorSnapshot) => {
          if (stop) return;
          setSnap(s);
          setHistory((h) => [...h, { cpu: s.cpuPercent, lag: s.eventLoopLagMs.p99 }].slice(-HISTORY));
          setError(null);
        })
        .catch((err: Error) => !stop && setError(err.message.startsWith('HTTP') || err.message.includes('token') ? err.message : 'The server is unreachable.'));
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [token, adminToken, refused]);
  const carriers = snap ? Object.entries(snap.activeByCarrier).map(([k, n]) => `${n} ${k}`).join(', ') : '';
  return (
    <section className="monitor" data-testid="monitor">
      <div className="panel">
        <h2>
          Monitor <span className="hint">{snap ? `up ${uptime(snap.uptimeMs)} · every ${REFRESH_MS / 1000} s` : 'waiting for the server…'}</span>
        </h2>
        {error && <div className="banner error">{error}</div>}
        <AdminTokenField admin={admin} />
        {snap && (
          <div className="tiles">
            <Tile id="active-calls" name="Active calls" value={String(snap.activeCalls)} detail={carriers || 'none live'} />
            <Tile id="cpu" name="CPU" value={`${snap.cpuPercent.toFixed(0)} %`} detail="of one core, whole process" warn={snap.cpuPercent > 80}>
              <Sparkline values={history.map((h) => h.cpu)} floor={100} />
            </Tile>
            <Tile id="loop-lag" name="Event-loop lag p99" value={lagMs(snap.eventLoopLagMs.p99)} detail={`p50 ${lagMs(snap.eventLoopLagMs.p50)} · max ${lagMs(snap.eventLoopLagMs.max)}`} warn={snap.eventLoopLagMs.p99 > 20}>
              <Sparkline values={history.map((h) => h.lag)} floor={20} />
            </Tile>
            <Tile id="reply-latency" name="Reply latency p50 / p99" value={`${ms(snap.replyLatencyMs.p50)} / ${ms(snap.replyLatencyMs.p99)}`} detail={`${snap.replyLatencyMs.count} turns in the last 5 min`} warn={(snap.replyLatencyMs.p50 ?? 0) > 2000} />
            <Tile id="underruns" name="Underruns last min / total" value={`${snap.underruns.lastMinute} / ${snap.underruns.total}`} detail="reply audio late for the caller" warn={snap.underruns.lastMinute > 0} />
            <Tile id="rss" name="Memory (RSS)" value={mb(snap.rssBytes)} />
            <Tile id="store-backlog" name="Store backlog" value={String(snap.storeBacklog)} detail="call records waiting for the database" warn={snap.storeBacklog > 0} />
          </div>
        )}
      </div>
    </section>
  );
}
