/**
 * `voicebridge call`: simulates a caller from any WAV file over a chosen carrier protocol against a
 * running server, saves what the caller heard as a WAV, and prints the transcript and timings. The
 * reply latency it prints is the server's own figure for each turn (from the call record, or the
 * browser `turn` events), the same one the web page and `GET /calls` show. Checks `--out` before
 * calling; on a terminal shows a live progress line; exits 1 with the reason when the call ended
 * in an error or brought no reply.
 */
import fs from 'node:fs';
import { loadResamplerFactory } from '../audio/resample.js';
import { voicedMs } from '../audio/level.js';
import { readWav, writeWav, type WavAudio } from '../audio/wav.js';
import { errorMessage } from '../core/errors.js';
import type { Via } from '../sim/clients.js';
import { AnswerWebhookError } from '../sim/webhooks.js';
import { simulateCall, type SimulationResult } from '../sim/simulate.js';
import { callFailure, outputProblem } from './call-check.js';
import { LiveProgress, transcriptLine } from './call-progress.js';

/** Flags for `call`. */
export interface CallFlags {
  url?: string;
  via?: string;
  in?: string;
  out?: string;
  'barge-in-at'?: string;
  /** Longest wait for a reply after the recording ends, seconds (default 20). */
  'reply-timeout'?: string;
  transcript?: string;
}

/** Where `runCall` writes (tests pass their own). */
export interface CallIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Show the live progress line (default: stdout is a terminal). */
  live: boolean;
}

const VIAS: Via[] = ['twilio', 'vonage', 'ws', 'pcm'];

/**
 * The call id and the server's reply latency per turn (ms; null for a turn with none, such as a
 * greeting), as `voicebridge call` reports them.
 */
export function latencyReport(result: SimulationResult): { callId: string | null; replyLatencyMs: Array<number | null> } {
  return { callId: result.summary?.id ?? null, replyLatencyMs: result.turns.map((t) => t.replyLatencyMs) };
}

/**
 * Runs one simulated call; returns the exit code: 0 with a reply, 1 when the call failed (error,
 * no reply, server unreachable or refusing), 2 for bad flags or files. Phone calls go through the
 * server's answer webhook first, as the carrier's do, signed with `TWILIO_AUTH_TOKEN` /
 * `VONAGE_SIGNATURE_SECRET` from `env` when set there (the server's own secrets).
 */
export async function runCall(flags: CallFlags, io: CallIo = { stdout: process.stdout, stderr: process.stderr, live: Boolean(process.stdout.isTTY) }, env: Record<string, string | undefined> = process.env): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const fail = (code: number, line: string) => {
    io.stderr.write(`voicebridge call: ${line}\n`);
    return code;
  };
  if (!flags.url || !flags.via || !flags.in || !flags.out) return fail(2, 'needs --url, --via, --in and --out (voicebridge call --help)');
  if (!VIAS.includes(flags.via as Via)) return fail(2, `--via must be one of ${VIAS.join(', ')}`);
  const bargeInAtS = flags['barge-in-at'] !== undefined ? Number(flags['barge-in-at']) : undefined;
  if (bargeInAtS !== undefined && !(bargeInAtS >= 0)) return fail(2, '--barge-in-at must be a number of seconds ≥ 0');
  const replyTimeoutS = Number(flags['reply-timeout'] ?? 20);
  if (!(replyTimeoutS > 0)) return fail(2, '--reply-timeout must be a number of seconds > 0');
  for (const [flag, file] of [['--out', flags.out], ['--transcript', flags.transcript]] as const) {
    const problem = file ? outputProblem(file) : undefined;
    if (problem) return fail(2, `cannot write ${flag} ${file}: ${problem}`);
  }
  let wav: WavAudio;
  try {
    wav = readWav(fs.readFileSync(flags.in));
  } catch (err) {
    return fail(2, `cannot read --in ${flags.in}: ${errorMessage(err)}`);
  }

  const progress = io.live ? new LiveProgress(flags.url, io.stdout, env.ADMIN_TOKEN || undefined) : undefined;
  let result: SimulationResult;
  try {
    result = await simulateCall({
      url: flags.url,
      via: flags.via as Via,
      samples: wav.samples,
      sampleRateHz: wav.sampleRateHz,
      resamplers: await loadResamplerFactory(),
      bargeInAtS,
      maxTailMs: replyTimeoutS * 1000,
      onTick: progress ? (t) => progress.tick(t) : undefined,
      twilioAuthToken: env.TWILIO_AUTH_TOKEN || undefined,
      vonageSignatureSecret: env.VONAGE_SIGNATURE_SECRET || undefined,
      adminToken: env.ADMIN_TOKEN || undefined,
    });
  } catch (err) {
    progress?.stop();
    if (err instanceof AnswerWebhookError) return fail(1, `the server at ${flags.url} refused the call: ${err.message}`);
    const code = (err as { code?: string }).code;
    return fail(1, `cannot reach the server at ${flags.url}: ${errorMessage(err) || code}${code === 'ECONNREFUSED' ? ' (is `voicebridge serve` running there?)' : ''}`);
  }
  const printedLive = progress?.stop() ?? 0;

  fs.writeFileSync(flags.out, writeWav(result.heard, result.sampleRateHz));
  const report = {
    via: result.via,
    input: { file: flags.in, sampleRateHz: wav.sampleRateHz, channels: wav.sourceChannels, seconds: +(wav.samples.length / wav.sampleRateHz).toFixed(2) },
    output: { file: flags.out, sampleRateHz: result.sampleRateHz, seconds: +(result.heard.length / result.sampleRateHz).toFixed(2), voicedMs: voicedMs(result.heard, result.sampleRateHz) },
    ...latencyReport(result),
    transcript: result.transcript,
    bargeIn: result.bargeIn,
    callDurationMs: result.durationMs,
    ...(result.summary ? { endReason: result.summary.reason, error: result.summary.error } : {}),
  };
  if (flags.transcript) fs.writeFileSync(flags.transcript, JSON.stringify(report, null, 2));
  for (const line of result.transcript.slice(printedLive)) say(transcriptLine(line.role, line.text));
  for (const t of result.turns) if (t.replyLatencyMs !== null) say(`turn ${t.turn}: reply latency ${t.replyLatencyMs} ms${t.interrupted ? ' (interrupted)' : ''}`);
  say(JSON.stringify({ ...report, transcript: undefined }, null, 2));
  const why = callFailure({ summary: result.summary, events: result.events, heardVoicedMs: report.output.voicedMs });
  return why ? fail(1, `call failed: ${why}`) : 0;
}
