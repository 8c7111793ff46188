/**
 * `voicebridge call`: simulates a caller from any WAV file over a chosen carrier protocol against a
 * running server, saves what the caller heard as a WAV, and prints the transcript and timings. The
 * reply latency it prints is the server's own figure for each turn (from the call record, or the
 * browser `turn` events), the same one the web page and `GET /calls` show.
 */
import fs from 'node:fs';
import { loadResamplerFactory } from '../audio/resample.js';
import { voicedMs } from '../audio/level.js';
import { readWav, writeWav } from '../audio/wav.js';
import type { Via } from '../sim/clients.js';
import { simulateCall, type SimulationResult } from '../sim/simulate.js';

/** Flags for `call`. */
export interface CallFlags {
  url?: string;
  via?: string;
  in?: string;
  out?: string;
  'barge-in-at'?: string;
  transcript?: string;
}

const VIAS: Via[] = ['twilio', 'vonage', 'ws', 'pcm'];

/**
 * The call id and the server's reply latency per turn (ms; null for a turn with none, such as a
 * greeting), as `voicebridge call` reports them.
 */
export function latencyReport(result: SimulationResult): { callId: string | null; replyLatencyMs: Array<number | null> } {
  return { callId: result.summary?.id ?? null, replyLatencyMs: result.turns.map((t) => t.replyLatencyMs) };
}

/** Runs one simulated call; returns the exit code (2 for bad flags, 1 if nothing was heard). */
export async function runCall(flags: CallFlags): Promise<number> {
  if (!flags.url || !flags.via || !flags.in || !flags.out) {
    console.error('call needs --url, --via, --in and --out');
    return 2;
  }
  if (!VIAS.includes(flags.via as Via)) {
    console.error(`--via must be one of ${VIAS.join(', ')}`);
    return 2;
  }
  const bargeInAtS = flags['barge-in-at'] !== undefined ? Number(flags['barge-in-at']) : undefined;
  if (bargeInAtS !== undefined && !(bargeInAtS >= 0)) {
    console.error('--barge-in-at must be a number of seconds ≥ 0');
    return 2;
  }
  const wav = readWav(fs.readFileSync(flags.in));
  const result = await simulateCall({
    url: flags.url,
    via: flags.via as Via,
    samples: wav.samples,
    sampleRateHz: wav.sampleRateHz,
    resamplers: await loadResamplerFactory(),
    bargeInAtS,
  });
  fs.writeFileSync(flags.out, writeWav(result.heard, result.sampleRateHz));
  const report = {
    via: result.via,
    input: { file: flags.in, sampleRateHz: wav.sampleRateHz, channels: wav.sourceChannels, seconds: +(wav.samples.length / wav.sampleRateHz).toFixed(2) },
    output: { file: flags.out, sampleRateHz: result.sampleRateHz, seconds: +(result.heard.length / result.sampleRateHz).toFixed(2), voicedMs: voicedMs(result.heard, result.sampleRateHz) },
    ...latencyReport(result),
    transcript: result.transcript,
    bargeIn: result.bargeIn,
    callDurationMs: result.durationMs,
  };
  if (flags.transcript) fs.writeFileSync(flags.transcript, JSON.stringify(report, null, 2));
  for (const line of result.transcript) console.log(`${line.role === 'user' ? 'caller' : 'agent '}: ${line.text}`);
  for (const t of result.turns) if (t.replyLatencyMs !== null) console.log(`turn ${t.turn}: reply latency ${t.replyLatencyMs} ms${t.interrupted ? ' (interrupted)' : ''}`);
  console.log(JSON.stringify({ ...report, transcript: undefined }, null, 2));
  return report.output.voicedMs > 0 ? 0 : 1;
}
