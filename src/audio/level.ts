/**
 * Signal level measurement for PCM16: RMS, peak and dBFS. Pure functions.
 */

/** Root-mean-square of PCM16 samples, in sample units (0..32768). Returns 0 for empty input. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
  return Math.sqrt(sum / pcm.length);
}

/** Level in dBFS (0 dBFS = full-scale square wave); −Infinity for digital silence. */
export function dbfs(pcm: Int16Array): number {
  const r = rms(pcm);
  return r === 0 ? -Infinity : 20 * Math.log10(r / 32768);
}

/** Largest absolute sample value. */
export function peak(pcm: Int16Array): number {
  let p = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = Math.abs(pcm[i]);
    if (v > p) p = v;
  }
  return p;
}

/**
 * Total duration in ms of the `frameMs` windows whose level is above `thresholdDbfs`: a cheap measure
 * of how much of a recording is audible sound rather than silence.
 */
export function voicedMs(pcm: Int16Array, sampleRateHz: number, thresholdDbfs = -45, frameMs = 20): number {
  const frame = Math.max(1, Math.floor((sampleRateHz * frameMs) / 1000));
  let voiced = 0;
  for (let i = 0; i + frame <= pcm.length; i += frame) {
    if (dbfs(pcm.subarray(i, i + frame)) > thresholdDbfs) voiced += frameMs;
  }
  return voiced;
}

/**
 * `pcm` without its leading silence: starts `keepMs` before the first `frameMs` window whose level
 * is above `thresholdDbfs` (a subarray, no copy). All-silent input is returned unchanged.
 */
export function trimLeadingSilence(pcm: Int16Array, sampleRateHz: number, thresholdDbfs = -50, keepMs = 10, frameMs = 10): Int16Array {
  const frame = Math.max(1, Math.floor((sampleRateHz * frameMs) / 1000));
  for (let i = 0; i + frame <= pcm.length; i += frame) {
    if (dbfs(pcm.subarray(i, i + frame)) > thresholdDbfs) return pcm.subarray(Math.max(0, i - Math.floor((sampleRateHz * keepMs) / 1000)));
  }
  return pcm;
}
