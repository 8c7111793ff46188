/**
 * A call's recording (`GET /calls/:id/recording.wav`: stereo, caller left, agent right), fetched
 * with the admin credentials (an audio element cannot send them): a blob URL the page's audio
 * element plays, and the samples decoded with Web Audio (`decodeAudioData`) for the waveform.
 */
import { useEffect, useState } from 'react';
import { getRecording } from './api.js';

/** Rate the waveform's samples are decoded at (Hz): plenty for drawing peaks. */
const WAVEFORM_RATE_HZ = 8000;

/** The recording as the page uses it. */
export interface Recording {
  /** Blob URL of the WAV for an audio element; null while loading or when there is none. */
  src: string | null;
  /** Each channel's samples (-1…1; caller, then agent), once decoded; null until then or when undecodable. */
  channels: Float32Array[] | null;
  /** The recording's length, ms, once decoded. */
  durationMs: number | null;
  /** Why there is nothing to play (no recording, a refusal), in plain words; null otherwise. */
  note: string | null;
}

/** Loads call `id`'s recording (see `Recording`); revokes its blob URL when the page leaves. */
export function useRecording(id: string, bearer: string): Recording {
  const [rec, setRec] = useState<Recording>({ src: null, channels: null, durationMs: null, note: null });
  useEffect(() => {
    let url: string | null = null;
    let stop = false;
    setRec({ src: null, channels: null, durationMs: null, note: null });
    getRecording(id, bearer)
      .then(async (bytes) => {
        if (stop) return;
        if (!bytes) return setRec((r) => ({ ...r, note: 'No recording of this call (the server records calls with RECORD_CALLS=true).' }));
        url = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
        setRec((r) => ({ ...r, src: url }));
        try {
          // decodeAudioData detaches its buffer: the blob above has its own copy
          const ctx = new OfflineAudioContext(1, 1, WAVEFORM_RATE_HZ);
          const audio = await ctx.decodeAudioData(bytes);
          const channels = Array.from({ length: audio.numberOfChannels }, (_, i) => audio.getChannelData(i));
          if (!stop) setRec((r) => ({ ...r, channels, durationMs: audio.duration * 1000 }));
        } catch {
          if (!stop) setRec((r) => ({ ...r, note: 'The recording plays, but its waveform could not be drawn.' }));
        }
      })
      .catch((err: Error) => !stop && setRec((r) => ({ ...r, note: `Recording: ${err.message}` })));
    return () => {
      stop = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id, bearer]);
  return rec;
}
