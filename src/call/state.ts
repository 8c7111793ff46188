/**
 * Pure call state machine: control events in, next state plus commands out. Audio never passes
 * through here. States: `connecting` → `listening` ⇄ `responding` → `ended` | `error`.
 */

/** The phase a call is in. */
export type CallPhase = 'connecting' | 'listening' | 'responding' | 'ended' | 'error';

/** Full state: phase plus the flags that decide when a response is over. */
export interface CallState {
  phase: CallPhase;
  /** The model has finished (or cancelled) the current response. */
  modelDone: boolean;
  /** Assistant audio is still queued or playing at the caller. */
  playing: boolean;
  /** What plays is a slow tool's hold phrase, not a model response (until model audio or the end of playout). */
  holding?: boolean;
}

/** Control inputs. */
export type CallInput =
  | { type: 'sessionOpened' }
  | { type: 'assistantAudio' }
  /** The hold phrase of a slow tool started playing (not a model response: the model stays done). */
  | { type: 'holdAudio' }
  | { type: 'responseDone' }
  | { type: 'playoutDrained' }
  | { type: 'userSpeechStarted'; source: 'model' | 'vad' }
  | { type: 'callerEnded'; reason: string }
  | { type: 'inactivity' }
  | { type: 'modelFailed'; reason: string }
  | { type: 'hangup'; reason: string };

/** Side effects the shell must perform. */
export type CallCommand =
  | { type: 'bargeIn'; source: 'model' | 'vad' }
  | { type: 'endCall'; reason: string; error: boolean; /** Tell the carrier to end the call (false when the caller already left). */ hangupCaller: boolean };

/** Initial state of a new call. */
export const initialCallState: CallState = { phase: 'connecting', modelDone: true, playing: false };

const over = (s: CallState) => s.phase === 'ended' || s.phase === 'error';

/**
 * Computes the next state.
 * @returns the new state and the commands to run, in order.
 */
export function transition(state: CallState, input: CallInput): { state: CallState; commands: CallCommand[] } {
  if (over(state)) return { state, commands: [] };
  switch (input.type) {
    case 'sessionOpened':
      return { state: { ...state, phase: state.phase === 'connecting' ? 'listening' : state.phase }, commands: [] };
    case 'assistantAudio':
      if (state.phase === 'connecting') return { state, commands: [] };
      return { state: { phase: 'responding', modelDone: false, playing: true }, commands: [] };
    case 'holdAudio':
      if (state.phase !== 'listening') return { state, commands: [] };
      return { state: { ...state, phase: 'responding', playing: true, holding: true }, commands: [] };
    case 'responseDone': {
      const next = { ...state, modelDone: true };
      if (state.phase === 'responding' && !state.playing) next.phase = 'listening';
      return { state: next, commands: [] };
    }
    case 'playoutDrained': {
      const next = { ...state, playing: false, holding: false };
      if (state.phase === 'responding' && state.modelDone) next.phase = 'listening';
      return { state: next, commands: [] };
    }
    case 'userSpeechStarted':
      if (state.phase === 'responding' && (state.playing || !state.modelDone)) {
        return {
          state: { phase: 'listening', modelDone: true, playing: false },
          commands: [{ type: 'bargeIn', source: input.source }],
        };
      }
      return { state, commands: [] };
    case 'callerEnded':
      return { state: { ...state, phase: 'ended' }, commands: [{ type: 'endCall', reason: input.reason, error: false, hangupCaller: false }] };
    case 'hangup':
      return { state: { ...state, phase: 'ended' }, commands: [{ type: 'endCall', reason: input.reason, error: false, hangupCaller: true }] };
    case 'inactivity':
      return { state: { ...state, phase: 'ended' }, commands: [{ type: 'endCall', reason: 'inactivity', error: false, hangupCaller: true }] };
    case 'modelFailed':
      return { state: { ...state, phase: 'error' }, commands: [{ type: 'endCall', reason: input.reason, error: true, hangupCaller: true }] };
  }
}
