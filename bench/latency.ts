/**
 * Latency benchmark for the offline local model: whole spoken calls over each carrier protocol
 * against a real server process, measuring what the tests deliberately do not assert (timing
 * belongs here, not in tests):
 *   - reply latency: end of the caller's speech → first reply audio heard, as the simulated
 *     caller measured it and as the server recorded it in the call's turn;
 *   - barge-in: the interruption signal → carrier clear on the server (`reactionMs`), the caller's
 *     speech onset → clear received, and clear received → the caller's audio stopped.
 * Prints one JSON line per carrier, then a Markdown table, then the targets met or missed.
 *
 *   npx tsx bench/latency.ts [--calls 3] [--via twilio,vonage,ws,pcm]
 */
import { parseArgs } from 'node:util';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { Histogram } from '../src/core/histogram.js';
import type { Via } from '../src/sim/clients.js';
import { simulateCall } from '../src/sim/simulate.js';
import { startServerProcess } from '../test/helpers/server-process.js';
import { TestSpeech } from '../test/helpers/speech.js';
import { runAndTabulate } from './table.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '3' },
    via: { type: 'string', default: 'twilio,vonage,ws,pcm' },
  },
});
const callsPerCarrier = Number(values.calls);
const vias = values.via!.split(',') as Via[];

/** Targets this benchmark checks (the figures users were promised). */
const TARGETS = {
  /** Reply latency p50 (caller-measured), ms: 500 ms of it is ENDPOINT_SILENCE_MS. */
  replyLatencyP50Ms: 2000,
  /** Interruption signal → carrier clear on the server, ms. */
  bargeInReactionMaxMs: 5,
  /** Clear received → caller audio stopped, ms (frames already in flight). */
  clearToSilenceMaxMs: 100,
};

const srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 2 });
const speech = new TestSpeech();
const resamplers = await loadResamplerFactory();
const question = await speech.say('What is seven plus five?', 'rms');
const long = await speech.say('Please say the quick brown fox jumps over the lazy dog and runs all the way home to the farm', 'rms');

const rows = await runAndTabulate(
  vias.map((_, i) => i),
  async (i) => {
    const via = vias[i];
    const replyCaller = new Histogram(5000);
    const replyServer = new Histogram(5000);
    const reaction = new Histogram(100);
    const onsetToClear = new Histogram(5000);
    const clearToSilence = new Histogram(1000);
    for (let k = 0; k < callsPerCarrier; k++) {
      const plain = await simulateCall({ url: srv.url, via, samples: question, sampleRateHz: 16000, resamplers, maxTailMs: 15_000 });
      if (plain.replyLatenciesMs[0] !== undefined) replyCaller.record(plain.replyLatenciesMs[0]);
      const serverLatency = plain.summary?.turns[0]?.replyLatencyMs;
      if (typeof serverLatency === 'number') replyServer.record(serverLatency);
      const barged = await simulateCall({ url: srv.url, via, samples: long, sampleRateHz: 16000, resamplers, bargeInAfterReplyMs: 1200, maxTailMs: 15_000 });
      const b = barged.summary?.bargeInEvents[0];
      if (b) reaction.record(b.reactionMs);
      const bi = barged.bargeIn;
      if (bi?.clearAfterMs != null) onsetToClear.record(bi.clearAfterMs);
      if (bi?.clearAfterMs != null && bi.audioStoppedAfterMs != null) clearToSilence.record(Math.max(0, bi.audioStoppedAfterMs - bi.clearAfterMs));
    }
    return {
      via,
      calls: callsPerCarrier,
      replyLatencyCallerMs: replyCaller.summary(),
      replyLatencyServerMs: replyServer.summary(),
      bargeInReactionMs: reaction.summary(),
      onsetToClearMs: onsetToClear.summary(),
      clearToSilenceMs: clearToSilence.summary(),
    };
  },
  [
    ['carrier', (r) => r.via],
    ['calls', (r) => r.calls],
    ['reply latency p50/max (caller)', (r) => `${r.replyLatencyCallerMs.p50Ms}/${r.replyLatencyCallerMs.maxMs} ms`],
    ['reply latency p50 (server record)', (r) => `${r.replyLatencyServerMs.p50Ms} ms`],
    ['barge-in signal → clear max', (r) => `${r.bargeInReactionMs.maxMs} ms`],
    ['speech onset → clear p50', (r) => `${r.onsetToClearMs.p50Ms} ms`],
    ['clear → silence max', (r) => `${r.clearToSilenceMs.maxMs} ms`],
  ],
);
await speech.close();
await srv.stop();

const misses: string[] = [];
for (const r of rows) {
  if (!(r.replyLatencyCallerMs.count > 0 && r.replyLatencyCallerMs.p50Ms <= TARGETS.replyLatencyP50Ms)) misses.push(`${r.via}: reply latency p50 ${r.replyLatencyCallerMs.p50Ms} ms > ${TARGETS.replyLatencyP50Ms} ms (or no reply)`);
  if (!(r.bargeInReactionMs.count > 0 && r.bargeInReactionMs.maxMs <= TARGETS.bargeInReactionMaxMs)) misses.push(`${r.via}: barge-in reaction ${r.bargeInReactionMs.maxMs} ms > ${TARGETS.bargeInReactionMaxMs} ms (or no barge-in)`);
  if (r.clearToSilenceMs.count > 0 && r.clearToSilenceMs.maxMs > TARGETS.clearToSilenceMaxMs) misses.push(`${r.via}: clear → silence ${r.clearToSilenceMs.maxMs} ms > ${TARGETS.clearToSilenceMaxMs} ms`);
}
console.log(misses.length ? `\ntargets missed:\n${misses.join('\n')}` : '\nall latency targets met');
process.exitCode = misses.length ? 1 : 0;
