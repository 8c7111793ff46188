/**
 * One call's page (`#/calls/<id>`, from `GET /calls/:id`): the facts of the call, its recording
 * with the waveform and timeline (click to seek), the transcript aligned to time (click a line to
 * play from there; the line being played is highlighted), turns with their metrics, tool calls,
 * model events, and a Delete button for privacy requests (`DELETE /calls/:id`).
 */
import { useCallback, useEffect, useState } from 'react';
import { endReasonLabel } from '../../../src/call/end-reason.js';
import { deleteCall, getCall, type CallRecord, type LiveRecord } from './api.js';
import { startTime } from './CallList.js';
import { Events, ToolCalls, Turns } from './Details.js';
import { Timeline, type TimelineMarks } from './Timeline.js';
import { clock, currentLine, duration, lineStarts, median, ms, usd } from './review.js';
import { usePolled } from './usePolled.js';
import { useRecording } from './useRecording.js';

/** The current position of `audio`, ms, followed every frame while it plays. */
function usePosition(audio: HTMLAudioElement | null): [number, (atMs: number) => void] {
  const [atMs, setAtMs] = useState(0);
  useEffect(() => {
    if (!audio) return;
    let frame = 0;
    const tick = () => {
      setAtMs(audio.currentTime * 1000);
      if (!audio.paused) frame = requestAnimationFrame(tick);
    };
    const events = ['play', 'seeked', 'timeupdate', 'pause', 'ended'];
    const on = () => {
      cancelAnimationFrame(frame);
      tick();
    };
    events.forEach((e) => audio.addEventListener(e, on));
    return () => {
      cancelAnimationFrame(frame);
      events.forEach((e) => audio.removeEventListener(e, on));
    };
  }, [audio]);
  return [atMs, setAtMs];
}

/** The facts at the top of the page. */
function Facts({ c }: { c: CallRecord }) {
  const facts: [string, string][] = [
    ['started', startTime(c.startedAt)],
    ['length', duration(c.durationMs)],
    ['carrier', c.kind + (c.carrierCallId ? ` · ${c.carrierCallId}` : '')],
    ['model', c.model],
    ['ended', c.reasonLabel ?? endReasonLabel(c.reason, c.error)],
    ['reply latency (median)', ms(median(c.turns.map((t) => t.replyLatencyMs)))],
    ['cost', usd(c.costUsd)],
    ['tokens', c.usage ? `${c.usage.inputTokens} in · ${c.usage.outputTokens} out` : '—'],
    ['turns', String(c.turns.length)],
    ['barge-ins', String(c.bargeIns)],
    ['underruns', String(c.underruns)],
  ];
  return (
    <dl className="facts" data-testid="facts">
      {facts.map(([k, v]) => (
        <div key={k} className={k === 'ended' && c.error ? 'bad' : ''}>
          <dt>{k}</dt>
          <dd title={k === 'ended' ? c.reason : undefined}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The page of an ended call. */
function Ended({ c, bearer }: { c: CallRecord; bearer: string }) {
  const rec = useRecording(c.id, bearer);
  const [audio, setAudio] = useState<HTMLAudioElement | null>(null);
  const [atMs, setAtMs] = usePosition(audio);
  const [deleting, setDeleting] = useState<string | null>(null);
  const starts = lineStarts(c);
  const playing = currentLine(starts, atMs);
  const totalMs = rec.durationMs ?? c.durationMs;
  const seek = useCallback(
    (toMs: number) => {
      const at = Math.max(0, Math.min(toMs, totalMs));
      if (!audio) return setAtMs(at);
      audio.currentTime = at / 1000;
      void audio.play().catch(() => undefined);
    },
    [audio, totalMs, setAtMs],
  );
  const marks: TimelineMarks = {
    lines: c.transcript.map((l, i) => ({ atMs: starts[i], role: l.role, text: l.text })),
    bargeIns: c.bargeInEvents.filter((b) => b.atMs != null).map((b) => ({ atMs: b.atMs!, label: `${b.source}, heard ${b.heardMs} ms of the reply` })),
    tools: c.toolCalls.filter((t) => t.atMs != null).map((t) => ({ atMs: t.atMs!, durationMs: t.durationMs, name: t.name, ok: t.ok })),
  };
  const remove = () => {
    if (!confirm('Delete this call’s record and recording? This cannot be undone.')) return;
    setDeleting('Deleting…');
    deleteCall(c.id, bearer).then(
      () => (location.hash = '#/calls'),
      (err: Error) => setDeleting(`Not deleted: ${err.message}`),
    );
  };
  return (
    <>
      <Facts c={c} />
      <div className="player">
        {rec.src && <audio controls src={rec.src} ref={setAudio} data-testid="recording" title="caller left, agent right" />}
        {rec.note && <p className="hint">{rec.note}</p>}
        <Timeline channels={rec.channels} totalMs={totalMs} currentMs={atMs} marks={marks} onSeek={seek} />
      </div>
      <h3>Transcript</h3>
      {c.transcript.length === 0 && <p className="hint">No words were exchanged.</p>}
      <div className="transcript" data-testid="transcript">
        {c.transcript.map((t, i) => (
          <div key={i} className={`line ${t.role} seekable${i === playing ? ' current' : ''}`} onClick={() => seek(starts[i])} data-testid="transcript-line" data-at-ms={starts[i]}>
            <span className="at">{clock(starts[i])}</span>
            <span className="who">{t.role === 'user' ? 'Caller' : 'Agent'}</span>
            <span className="text">{t.text}</span>
          </div>
        ))}
      </div>
      {c.turns.length > 0 && <h3>Turns</h3>}
      <Turns turns={c.turns} />
      {c.toolCalls.length > 0 && <h3>Tool calls</h3>}
      <ToolCalls calls={c.toolCalls} />
      {(c.events?.length ?? 0) > 0 && <h3>Model events</h3>}
      <Events events={c.events} />
      <p className="actions">
        <button className="danger" onClick={remove} disabled={deleting === 'Deleting…'} data-testid="delete-call">Delete call</button>
        <span className="hint"> deletes the record and the recording (privacy requests). {deleting}</span>
      </p>
    </>
  );
}

/** A live call: its state and transcript so far (the page refreshes until it ends). */
function Live({ c }: { c: LiveRecord }) {
  return (
    <>
      <p>
        <span className={`badge state-${c.phase}`}>{c.phase}</span> <span className="hint">live since {startTime(c.startedAt)} · {c.kind} · {c.model} · {c.turns} turns</span>
      </p>
      <div className="transcript" data-testid="transcript">
        {c.transcript.map((t, i) => (
          <div key={i} className={`line ${t.role}`}>
            <span className="at">{clock(t.atMs)}</span>
            <span className="who">{t.role === 'user' ? 'Caller' : 'Agent'}</span>
            <span className="text">{t.text}</span>
          </div>
        ))}
      </div>
      <ToolCalls calls={c.toolCalls} />
    </>
  );
}

/** The call page. */
export function CallPage({ id, bearer, onRefused }: { id: string; bearer: string; onRefused: () => void }) {
  const [live, setLive] = useState(false);
  const { data, error } = usePolled(() => getCall(id, bearer), `${id} ${bearer}`, live ? 3000 : null, onRefused);
  const isLive = !!data && 'live' in data && data.live === true;
  useEffect(() => setLive(isLive), [isLive]);
  return (
    <div className="panel call-page">
      <h2>
        <a href="#/calls" className="back">← Calls</a> Call <span className="hint">{id}</span>
      </h2>
      {error && <div className="banner error">{error}</div>}
      {data && (isLive ? <Live c={data as LiveRecord} /> : <Ended c={data as CallRecord} bearer={bearer} />)}
    </div>
  );
}
