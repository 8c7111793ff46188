/** Settings of one emulated OpenAI Realtime conversation (`conversation.ts`). */
import type { ResamplerFactory } from '../../audio/resample.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { BrainFactory } from '../shared/brain.js';
import type { ReplyPace } from './paced-output.js';

/** Settings of one emulated conversation. */
export interface RealtimeConversationOptions {
  brain: BrainFactory;
  resamplers: ResamplerFactory;
  clock: Clock;
  logger: Logger;
  pace: ReplyPace;
  model: string;
  /** When the session expires, seconds since the epoch (`session.expires_at`). */
  expiresAtS: number;
  /** How long the client may take to answer a function call, ms. */
  toolTimeoutMs: number;
  /** Keep every `input_audio_buffer.append`'s audio as it came on the wire (`receivedAudio`), for tests. */
  keepAudio?: boolean;
  /** Sends one server event (a JSON object). */
  send(event: Record<string, unknown>): void;
  /** Each `input_audio_buffer.append` received, with its audio duration in ms (load benchmarks). */
  onAudioInput?(durationMs: number): void;
}
