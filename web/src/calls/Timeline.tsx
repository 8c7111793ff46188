/**
 * A call's timeline: the recording's waveform drawn on a canvas (stereo: the caller above in
 * green, the agent below in blue; mono: one trace), with the transcript lines, barge-ins and tool
 * calls marked where they happened, and a playhead. A click seeks there. Without a recording the
 * same marks sit on the call's length.
 */
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { clock, fraction, peaks } from './review.js';

const HEIGHT_PX = 120;
const COLOURS = ['#3fb950', '#4fb3ff'];

/** What is marked on the timeline, ms since the call started. */
export interface TimelineMarks {
  lines: { atMs: number; role: 'user' | 'assistant'; text: string }[];
  bargeIns: { atMs: number; label: string }[];
  tools: { atMs: number; durationMs: number; name: string; ok: boolean }[];
}

/** Draws `channels` into `canvas`, one band per channel, at its current CSS width. */
function draw(canvas: HTMLCanvasElement, channels: Float32Array[]): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  canvas.height = Math.round(HEIGHT_PX * dpr);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, canvas.width, canvas.height);
  const band = canvas.height / channels.length;
  channels.forEach((samples, c) => {
    const mid = band * c + band / 2;
    const half = band / 2 - 2 * dpr;
    g.fillStyle = COLOURS[c % COLOURS.length];
    g.fillRect(0, mid, canvas.width, Math.max(1, dpr / 2));
    peaks(samples, canvas.width).forEach((p, x) => {
      const top = mid - p.max * half;
      g.fillRect(x, top, 1, Math.max(1, (p.max - p.min) * half));
    });
  });
}

/** The timeline (see the module comment). `totalMs` is the recording's length, else the call's. */
export function Timeline({ channels, totalMs, currentMs, marks, onSeek }: { channels: Float32Array[] | null; totalMs: number; currentMs: number; marks: TimelineMarks; onSeek: (atMs: number) => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    const el = canvas.current;
    if (!el || !channels) return;
    const redraw = () => {
      draw(el, channels);
      setDrawn(true);
    };
    redraw();
    const ro = new ResizeObserver(redraw);
    ro.observe(el);
    return () => ro.disconnect();
  }, [channels]);
  const seek = (e: MouseEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    onSeek(((e.clientX - r.left) / r.width) * totalMs);
  };
  const pct = (atMs: number) => `${fraction(atMs, totalMs) * 100}%`;
  return (
    <div className="timeline-wrap">
      <div className="timeline" onClick={seek} data-testid="timeline" title="click to play from here">
        {channels ? (
          <canvas ref={canvas} className="waveform" data-testid="waveform" data-drawn={drawn ? 'true' : 'false'} />
        ) : (
          <div className="waveform empty" />
        )}
        {channels && channels.length > 1 && (
          <>
            <span className="band-label top">caller</span>
            <span className="band-label bottom">agent</span>
          </>
        )}
        {marks.tools.map((t, i) => (
          <span key={`t${i}`} className={`mark tool ${t.ok ? '' : 'bad'}`} style={{ left: pct(t.atMs), width: `max(3px, ${fraction(t.durationMs, totalMs) * 100}%)` }} title={`tool ${t.name} at ${clock(t.atMs)}, ${t.durationMs} ms`} data-testid="tool-mark" />
        ))}
        {marks.bargeIns.map((b, i) => (
          <span key={`b${i}`} className="mark barge" style={{ left: pct(b.atMs) }} title={`barge-in at ${clock(b.atMs)}: ${b.label}`} data-testid="barge-in-mark" />
        ))}
        <span className="playhead" style={{ left: pct(currentMs) }} data-testid="playhead" />
      </div>
      <div className="ticks" onClick={seek}>
        {marks.lines.map((l, i) => (
          <span key={i} className={`tick ${l.role}`} style={{ left: pct(l.atMs) }} title={`${clock(l.atMs)} ${l.text}`} />
        ))}
      </div>
      <div className="axis">
        <span>0:00</span>
        <span data-testid="position">{clock(currentMs)}</span>
        <span>{clock(totalMs)}</span>
      </div>
    </div>
  );
}
