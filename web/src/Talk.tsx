/**
 * The talk page: connect over WebRTC or WebSocket, see the live transcript of both sides, the
 * session state, input and output levels, tool calls as they happen and the reply latency.
 * `window.__vb` mirrors the session for end-to-end tests.
 */
import { useEffect, useRef, useState } from 'react';
import type { BrowserServerMessage } from '../../src/callers/browser/protocol.js';
import type { ServerInfo } from './App.js';
import { VoiceSession, type TransportKind } from './session.js';

interface Line {
  role: 'user' | 'assistant';
  text: string;
  final: boolean;
  turn: number;
}

interface ToolLine {
  name: string;
  ok: boolean;
  durationMs: number;
  atMs: number;
}

/** Test hooks: everything the page saw, with times. */
interface TestHooks {
  state: string;
  callId: string | null;
  transcript: Line[];
  turns: { turn: number; replyLatencyMs: number | null; interrupted: boolean }[];
  levels: { t: number; inDb: number; outDb: number }[];
  clears: number[];
  errors: string[];
  ended: string | null;
  /** The hand-off the server announced, if any. */
  transfer: { to: string; reason: string } | null;
}

declare global {
  interface Window {
    __vb?: TestHooks;
  }
}

function Meter({ label, db }: { label: string; db: number }) {
  const pct = Math.max(0, Math.min(100, ((db + 70) / 70) * 100));
  return (
    <div className="meter">
      <span>{label}</span>
      <div className="bar">
        <div className="fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="db">{db <= -99 ? '—' : `${Math.round(db)} dB`}</span>
    </div>
  );
}

/** Voices of the chosen model ('' = the server's default model). */
function voicesOf(info: ServerInfo | null, model: string): string[] {
  if (!info) return [];
  return (model ? info.models.find((m) => m.id === model)?.voices : info.voices) ?? [];
}

export function Talk({ info, token }: { info: ServerInfo | null; token: string }) {
  const params = new URLSearchParams(location.search);
  const [transport, setTransport] = useState<TransportKind>(params.get('transport') === 'websocket' ? 'websocket' : 'webrtc');
  const webrtcOff = info?.webrtc?.available === false;
  useEffect(() => {
    if (webrtcOff) setTransport('websocket');
  }, [webrtcOff]);
  const [voice, setVoice] = useState(params.get('voice') ?? '');
  const [model, setModel] = useState(params.get('model') ?? '');
  const [state, setState] = useState('idle');
  const [lines, setLines] = useState<Line[]>([]);
  const [tools, setTools] = useState<ToolLine[]>([]);
  const [latencyMs, setLatencyMs] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [transfer, setTransfer] = useState<{ to: string; reason: string } | null>(null);
  const [levels, setLevels] = useState({ inDb: -100, outDb: -100 });
  const [paused, setPaused] = useState(false);
  const [text, setText] = useState('');
  const [interrupted, setInterrupted] = useState<Set<number>>(new Set());
  const session = useRef<VoiceSession | null>(null);
  const hooks = useRef<TestHooks>({ state: 'idle', callId: null, transcript: [], turns: [], levels: [], clears: [], errors: [], ended: null, transfer: null });
  const transcriptEnd = useRef<HTMLDivElement>(null);

  useEffect(() => {
    window.__vb = hooks.current;
    const timer = setInterval(() => {
      const s = session.current;
      if (!s) return;
      const l = { inDb: s.inputDbfs(), outDb: s.outputDbfs() };
      setLevels(l);
      const h = hooks.current.levels;
      h.push({ t: performance.now(), ...l });
      if (h.length > 4000) h.splice(0, 1000);
    }, 50);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    transcriptEnd.current?.scrollIntoView({ block: 'end' });
  }, [lines]);

  const onMessage = (m: BrowserServerMessage) => {
    const h = hooks.current;
    switch (m.type) {
      case 'session.started':
        h.callId = m.callId;
        return;
      case 'state':
        h.state = m.state;
        setState(m.state);
        return;
      case 'transcript': {
        const line: Line = { role: m.role, text: m.text, final: m.final, turn: m.turn };
        h.transcript.push(line);
        setLines((prev) => {
          // A partial is replaced by the next partial or the final of the same turn; a second
          // assistant final for a turn (cut to what was heard after a barge-in) replaces the first.
          const same = (p: Line) => p.role === line.role && p.turn === line.turn;
          const i = line.final && line.role === 'assistant' ? prev.findIndex((p) => same(p) && p.final) : -1;
          if (i >= 0) return prev.map((p, k) => (k === i ? line : p)).filter((p) => p.final || !same(p));
          return [...prev.filter((p) => p.final || !same(p)), line];
        });
        return;
      }
      case 'turn':
        h.turns.push({ turn: m.turn, replyLatencyMs: m.replyLatencyMs, interrupted: m.interrupted });
        if (m.interrupted) setInterrupted((prev) => new Set(prev).add(m.turn));
        if (m.replyLatencyMs !== null) setLatencyMs(m.replyLatencyMs);
        return;
      case 'tool':
        setTools((prev) => [...prev, { name: m.name, ok: m.ok, durationMs: m.durationMs, atMs: Date.now() }]);
        return;
      case 'playback.clear':
        h.clears.push(performance.now());
        session.current?.clearPlayback();
        return;
      case 'error':
        h.errors.push(`${m.code}: ${m.message}`);
        setError(m.message);
        return;
      case 'transfer':
        h.transfer = { to: m.to, reason: m.reason };
        setTransfer({ to: m.to, reason: m.reason });
        return;
      case 'session.ended':
        h.ended = m.reason;
        return;
      default:
        return;
    }
  };

  const connect = async () => {
    setError(null);
    setTransfer(null);
    setLines([]);
    setInterrupted(new Set());
    setTools([]);
    setLatencyMs(null);
    setState('connecting');
    hooks.current.state = 'connecting';
    const s = new VoiceSession({
      message: onMessage,
      closed: (reason) => {
        hooks.current.ended ??= reason;
        hooks.current.state = 'ended';
        setState('ended');
        session.current = null;
      },
    });
    session.current = s;
    try {
      await s.start({ transport, token: token || undefined, voice: voice || undefined, model: model || undefined, echoCancellation: params.get('aec') !== '0' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      hooks.current.errors.push(message);
      setError(message);
      setState('idle');
      session.current = null;
    }
  };

  const live = session.current !== null && state !== 'ended' && state !== 'idle';
  const restart = () => {
    session.current?.stop();
    setPaused(false);
    setTimeout(() => void connect(), 300);
  };
  const togglePause = () => {
    if (paused) session.current?.resume();
    else session.current?.pause();
    setPaused(!paused);
  };
  const sendText = (e: React.FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    session.current?.sendText(text.trim());
    setText('');
  };

  return (
    <section className="talk">
      <div className="panel controls">
        <div className="row">
          <label>
            Connection
            <select value={transport} onChange={(e) => setTransport(e.target.value as TransportKind)} disabled={live}>
              <option value="webrtc" disabled={webrtcOff} title={info?.webrtc?.reason}>
                WebRTC{webrtcOff ? ' (unavailable)' : ''}
              </option>
              <option value="websocket">WebSocket</option>
            </select>
          </label>
          <label>
            Model
            <select
              value={model}
              onChange={(e) => {
                setModel(e.target.value);
                setVoice('');
              }}
              disabled={live || (info?.models.length ?? 0) < 2}
              data-testid="model"
            >
              <option value="">{info ? `${info.model} (default)` : 'default'}</option>
              {(info?.models ?? []).slice(1).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Voice
            <select value={voice} onChange={(e) => setVoice(e.target.value)} disabled={live || !voicesOf(info, model).length}>
              <option value="">default</option>
              {voicesOf(info, model).map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="row">
          {!live ? (
            <button className="primary" onClick={connect} disabled={state === 'connecting'} data-testid="connect">
              {state === 'connecting' ? 'Connecting…' : 'Start talking'}
            </button>
          ) : (
            <>
              <button className="danger" onClick={() => session.current?.stop()} data-testid="hangup">
                Hang up
              </button>
              <button onClick={togglePause}>{paused ? 'Resume' : 'Pause'}</button>
              <button onClick={restart} title="Hang up and start a fresh session">
                Restart
              </button>
            </>
          )}
          <span className={`badge state-${state}`} data-testid="state">
            {state}
          </span>
          <span className="latency" data-testid="latency" title="Reply latency: from the end of your speech as the server detected it (or when your typed message arrived) to the first reply audio played to you; the same figure as in the call list and voicebridge call">
            reply latency <b>{latencyMs === null ? '—' : `${latencyMs} ms`}</b>
          </span>
        </div>
        <Meter label="mic" db={levels.inDb} />
        <Meter label="reply" db={levels.outDb} />
        {transfer && (
          <div className="banner transfer" role="status" data-testid="transfer">
            Handing you to a person at {transfer.to} ({transfer.reason}). This page's call ends here; the person will reach you on that line.
          </div>
        )}
        {error && (
          <div className="banner error" role="alert">
            {error}
          </div>
        )}
      </div>

      <div className="panel transcript" data-testid="transcript">
        {lines.length === 0 && <p className="hint">{live ? 'Say something…' : 'Press “Start talking” and allow the microphone.'}</p>}
        {lines.map((l, i) => (
          <div key={i} className={`line ${l.role}${l.final ? '' : ' partial'}`}>
            <span className="who">{l.role === 'user' ? 'You' : 'Agent'}</span>
            <span className="text">
              {l.text}
              {l.role === 'assistant' && l.final && interrupted.has(l.turn) && <span className="cut"> — interrupted</span>}
            </span>
          </div>
        ))}
        <div ref={transcriptEnd} />
      </div>

      <div className="panel side">
        <h3>Tools</h3>
        {tools.length === 0 ? (
          <p className="hint">No tool calls yet.</p>
        ) : (
          <ul className="tools">
            {tools.map((t, i) => (
              <li key={i} className={t.ok ? 'ok' : 'bad'}>
                <code>{t.name}</code> {t.ok ? 'ok' : 'failed'} · {t.durationMs} ms
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={sendText} className="type">
          <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Type a message" disabled={!live} />
          <button disabled={!live || !text.trim()}>Send</button>
        </form>
      </div>
    </section>
  );
}
