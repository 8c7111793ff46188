/** Parts of a call's page: its turns with their metrics, its tool calls, its model events. */
import type { CallEventRecord, CallRecord, TurnWithMetrics } from './api.js';
import { clock, ms } from './review.js';

/** A value in one short line (JSON, cut at 120 characters). */
function brief(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** The turns: words, reply latency and, where the record has them, the parts of a turn's time. */
export function Turns({ turns }: { turns: TurnWithMetrics[] }) {
  if (turns.length === 0) return null;
  return (
    <table className="call-list turns" data-testid="turns">
      <thead>
        <tr>
          <th>#</th>
          <th>at</th>
          <th>caller said</th>
          <th title="end of the caller's speech → the caller hears the reply">reply latency</th>
          <th title="how long the caller spoke">speech</th>
          <th title="caller stopped speaking → the turn was seen to end">endpointing</th>
          <th title="end of speech → first reply audio from the model">first audio</th>
          <th title="reply audio the caller heard">reply</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {turns.map((t) => (
          <tr key={t.turn}>
            <td>{t.turn}</td>
            <td>{t.atMs != null ? clock(t.atMs) : ''}</td>
            <td className="opening">{t.userText || <span className="hint">(greeting)</span>}</td>
            <td>{ms(t.replyLatencyMs)}</td>
            <td>{ms(t.callerSpeechMs)}</td>
            <td>{ms(t.endpointingMs)}</td>
            <td>{ms(t.firstAudioMs)}</td>
            <td>{ms(t.replyMs ?? t.heardMs)}</td>
            <td>{t.interrupted ? <span className="cut">interrupted</span> : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A call's tool calls: when, name, arguments, result or error, duration. */
export function ToolCalls({ calls }: { calls: CallRecord['toolCalls'] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="tools" data-testid="tool-calls">
      {calls.map((t, i) => (
        <li key={i} className={t.ok ? '' : 'bad'}>
          {t.atMs != null && <span className="hint">{clock(t.atMs)} </span>}
          <code>{t.name}({brief(t.arguments ?? {})})</code> → {t.ok ? brief(t.result) : `error: ${t.error}`} · {t.durationMs} ms{t.heldCaller ? ' · caller heard the hold phrase' : ''}
        </li>
      ))}
    </ul>
  );
}

/** Model session renewals and model errors. */
export function Events({ events }: { events: CallEventRecord[] | undefined }) {
  if (!events?.length) return null;
  return (
    <ul className="tools" data-testid="events">
      {events.map((e, i) => (
        <li key={i} className={e.kind === 'model-error' ? 'bad' : ''}>
          <span className="hint">{clock(e.atMs)} </span>
          {e.kind === 'renewal' ? 'model session renewed' : 'model error'}
          {e.code ? ` ${e.code}` : ''}
          {e.message ? `: ${e.message}` : ''}
        </li>
      ))}
    </ul>
  );
}
