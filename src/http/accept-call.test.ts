/** The one `acceptCall` and the coded-error mappings every route uses. */
import { describe, expect, it } from 'vitest';
import { DrainingError } from '../call/manager.js';
import { BadOfferError, PeerSetupError } from '../callers/webrtc/network.js';
import { VoiceBridgeError } from '../core/errors.js';
import { FakeCallerSocket } from '../../test/fakes/caller-socket.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { PcmTransport } from '../callers/pcm/transport.js';
import { FakeClock } from '../core/clock.js';
import { acceptCall, httpStatusFor, refusalClose } from './accept-call.js';

describe('coded errors → HTTP statuses and close codes', () => {
  it.each([
    [new BadOfferError('no audio'), 400],
    [new DrainingError(), 503],
    [new PeerSetupError('no UDP port'), 503],
    [new VoiceBridgeError('stalled', 'x'), 500],
    [new Error('plain'), 500],
  ])('%s → HTTP %i', (err, status) => {
    expect(httpStatusFor(err)).toBe(status);
  });

  it.each([
    [new DrainingError(), { code: 1013, reason: 'server is draining, try again later' }],
    [new Error('boom'), { code: 1011, reason: 'internal error' }],
  ])('%s → close %j', (err, close) => {
    expect(refusalClose(err)).toEqual(close);
  });
});

describe('acceptCall', () => {
  const transport = () => new PcmTransport(new FakeCallerSocket(), { clock: new FakeClock(), logger: new RecordingLogger() });

  it.each([
    ['draining', new DrainingError(), 1013, 0],
    ['any other failure', new Error('model exploded'), 1011, 1],
  ])('%s: the connection is refused with its close code, errors logged', async (_name, err, code, errorLines) => {
    const log = new RecordingLogger();
    const refused: number[] = [];
    const call = await acceptCall({ manager: { accept: async () => Promise.reject(err) }, log }, { transport: transport(), refuse: (c) => refused.push(c) });
    expect(call).toBeNull();
    expect(refused).toEqual([code]);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(errorLines);
  });

  it('announces the call to a transport that can show it', async () => {
    const announced: string[] = [];
    const t = Object.assign(transport(), { announce: (callId: string, modelId: string) => announced.push(`${callId}/${modelId}`) });
    const fakeCall = { id: 'c1', modelId: 'loopback' };
    await acceptCall(
      {
        manager: {
          accept: async (_t, onCreated) => {
            onCreated?.(fakeCall as never, { parameters: {} });
            return fakeCall as never;
          },
        },
        log: new RecordingLogger(),
      },
      { transport: t, refuse: () => {} },
    );
    expect(announced).toEqual(['c1/loopback']);
  });
});
