import { describe, expect, it } from 'vitest';
import { DATA_SIZE_OFFSET, MAX_WAV_DATA_BYTES, pcm16WavHeader, readWav, readWavChannels, RIFF_SIZE_OFFSET, wavSizePatches, writeWav } from './wav.js';

function header(format: number, channels: number, rate: number, bits: number, data: Buffer, extra?: Buffer): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(format, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 16);
  fmt.writeUInt16LE((channels * bits) / 8, 20);
  fmt.writeUInt16LE(bits, 22);
  const dataHdr = Buffer.alloc(8);
  dataHdr.write('data', 0, 'ascii');
  dataHdr.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE'), fmt, extra ?? Buffer.alloc(0), dataHdr, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('WAV', () => {
  it('round-trips PCM16 mono', () => {
    const s = Int16Array.of(0, 1, -1, 32767, -32768);
    const w = readWav(writeWav(s, 16000));
    expect(w.sampleRateHz).toBe(16000);
    expect(Array.from(w.samples)).toEqual(Array.from(s));
  });

  it('walks past extra chunks and mixes stereo to mono', () => {
    const data = Buffer.alloc(8);
    data.writeInt16LE(100, 0); data.writeInt16LE(300, 2); data.writeInt16LE(-50, 4); data.writeInt16LE(-150, 6);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const w = readWav(header(1, 2, 44100, 16, data, list));
    expect(w.sourceChannels).toBe(2);
    expect(Array.from(w.samples)).toEqual([200, -100]);
  });

  it('reads float32 and mu-law', () => {
    const f = Buffer.alloc(8); f.writeFloatLE(0.5, 0); f.writeFloatLE(-1, 4);
    expect(Array.from(readWav(header(3, 1, 8000, 32, f)).samples)).toEqual([16384, -32768]);
    expect(Array.from(readWav(header(7, 1, 8000, 8, Buffer.from([0xff, 0x80]))).samples)).toEqual([0, 32124]);
  });

  it('rejects garbage with a clear message', () => {
    expect(() => readWav(Buffer.from('hello world, not a wav'))).toThrow(/RIFF/);
    expect(() => readWav(header(2, 1, 8000, 4, Buffer.alloc(4)))).toThrow(/unsupported/);
  });

  it('writes a stereo PCM16 header (fmt fields per mmreg.h) and reads the channels apart', () => {
    const h = pcm16WavHeader(2, 8000, 16);
    expect(h.length).toBe(44);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(RIFF_SIZE_OFFSET)).toBe(52);
    expect(h.readUInt16LE(22)).toBe(2);
    expect(h.readUInt32LE(24)).toBe(8000);
    expect(h.readUInt32LE(28)).toBe(32000); // byte rate
    expect(h.readUInt16LE(32)).toBe(4); // block align
    expect(h.readUInt32LE(DATA_SIZE_OFFSET)).toBe(16);
    const file = Buffer.concat([h, Buffer.from(Int16Array.of(1, -1, 2, -2, 3, -3, 4, -4).buffer)]);
    const w = readWavChannels(file);
    expect(w.sampleRateHz).toBe(8000);
    expect(w.channels.map((c) => Array.from(c))).toEqual([[1, 2, 3, 4], [-1, -2, -3, -4]]);
  });

  it('patches the RIFF and data sizes of a file streamed with "unknown" sizes', () => {
    const streaming = pcm16WavHeader(2, 16000, MAX_WAV_DATA_BYTES);
    expect(streaming.readUInt32LE(RIFF_SIZE_OFFSET)).toBe(0xffffffff);
    const file = Buffer.concat([streaming, Buffer.alloc(12)]);
    for (const p of wavSizePatches(12)) p.bytes.copy(file, p.offset);
    expect(file.readUInt32LE(RIFF_SIZE_OFFSET)).toBe(file.length - 8);
    expect(file.readUInt32LE(DATA_SIZE_OFFSET)).toBe(12);
    expect(readWavChannels(file).channels[1].length).toBe(3);
    expect(() => wavSizePatches(-1)).toThrow(RangeError);
    expect(() => wavSizePatches(MAX_WAV_DATA_BYTES + 1)).toThrow(RangeError);
    expect(() => pcm16WavHeader(0, 8000, 0)).toThrow(RangeError);
  });
});
