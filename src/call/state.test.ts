import { describe, expect, it } from 'vitest';
import { initialCallState, transition, type CallInput, type CallState } from './state.js';

function run(inputs: CallInput[], from: CallState = initialCallState) {
  let state = from;
  const commands: string[] = [];
  const phases: string[] = [];
  for (const input of inputs) {
    const r = transition(state, input);
    state = r.state;
    phases.push(state.phase);
    commands.push(...r.commands.map((c) => c.type));
  }
  return { state, commands, phases };
}

describe('call state machine', () => {
  it.each<[string, CallInput[], string[], string[]]>([
    ['opens into listening', [{ type: 'sessionOpened' }], ['listening'], []],
    ['responds, then listens once the model is done and playout drained',
      [{ type: 'sessionOpened' }, { type: 'assistantAudio' }, { type: 'responseDone' }, { type: 'playoutDrained' }],
      ['listening', 'responding', 'responding', 'listening'], []],
    ['drained before done still waits for done',
      [{ type: 'sessionOpened' }, { type: 'assistantAudio' }, { type: 'playoutDrained' }, { type: 'responseDone' }],
      ['listening', 'responding', 'responding', 'listening'], []],
    ['user speech while responding is a barge-in',
      [{ type: 'sessionOpened' }, { type: 'assistantAudio' }, { type: 'userSpeechStarted', source: 'vad' }],
      ['listening', 'responding', 'listening'], ['bargeIn']],
    ['user speech while listening is not',
      [{ type: 'sessionOpened' }, { type: 'userSpeechStarted', source: 'model' }], ['listening', 'listening'], []],
    ['speech after the reply has finished playing is not a barge-in',
      [{ type: 'sessionOpened' }, { type: 'assistantAudio' }, { type: 'responseDone' }, { type: 'playoutDrained' }, { type: 'userSpeechStarted', source: 'model' }],
      ['listening', 'responding', 'responding', 'listening', 'listening'], []],
    ['a hold phrase plays while listening and ends with its playout (the model stays done)',
      [{ type: 'sessionOpened' }, { type: 'holdAudio' }, { type: 'playoutDrained' }],
      ['listening', 'responding', 'listening'], []],
    ['a hold phrase is a barge-in target', [{ type: 'sessionOpened' }, { type: 'holdAudio' }, { type: 'userSpeechStarted', source: 'vad' }], ['listening', 'responding', 'listening'], ['bargeIn']],
    ['model audio over a hold phrase makes the call wait for the model again',
      [{ type: 'sessionOpened' }, { type: 'holdAudio' }, { type: 'assistantAudio' }, { type: 'playoutDrained' }, { type: 'responseDone' }],
      ['listening', 'responding', 'responding', 'responding', 'listening'], []],
    ['no hold phrase over a reply', [{ type: 'sessionOpened' }, { type: 'assistantAudio' }, { type: 'holdAudio' }, { type: 'playoutDrained' }], ['listening', 'responding', 'responding', 'responding'], []],
    ['caller hangs up', [{ type: 'sessionOpened' }, { type: 'callerEnded', reason: 'stop' }], ['listening', 'ended'], ['endCall']],
    ['model failure ends in error', [{ type: 'modelFailed', reason: 'x' }], ['error'], ['endCall']],
    ['nothing happens after the end',
      [{ type: 'callerEnded', reason: 'stop' }, { type: 'assistantAudio' }, { type: 'inactivity' }], ['ended', 'ended', 'ended'], ['endCall']],
  ])('%s', (_name, inputs, phases, commands) => {
    const r = run(inputs);
    expect(r.phases).toEqual(phases);
    expect(r.commands).toEqual(commands);
  });
});
