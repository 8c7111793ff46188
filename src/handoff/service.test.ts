import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { TransferDesk } from './desk.js';
import type { Handoff } from './record.js';
import { TRANSFER_TOOL_NAME, Transfers, type TransferableCall, type TransfersDeps } from './service.js';
import type { deliverHandoff } from './webhook.js';

function fakeCall(over: Partial<TransferableCall> = {}): TransferableCall & { handedOff: Handoff[]; held: Array<{ handoff: Handoff; moved: Promise<boolean> }> } {
  const handedOff: Handoff[] = [];
  const held: Array<{ handoff: Handoff; moved: Promise<boolean> }> = [];
  return {
    id: 'call-1',
    kind: 'twilio',
    carrierCallId: 'CA1',
    streamId: 'MZ1',
    transcript: [
      { role: 'user', text: 'my card was charged twice' },
      { role: 'assistant', text: 'I can look into that.' },
    ],
    isOver: false,
    handOff: (h) => void handedOff.push(h),
    holdHandOff: (handoff, moved) => void held.push({ handoff, moved }),
    handedOff,
    held,
    ...over,
  };
}

function service(over: Partial<TransfersDeps> = {}) {
  const clock = new FakeClock();
  const desk = new TransferDesk(clock);
  const delivered: Handoff[] = [];
  const deliver: typeof deliverHandoff = async (_w, h) => {
    delivered.push(h);
    return { ok: true, status: 204 };
  };
  const call = fakeCall();
  const transfers = new Transfers({
    desk,
    defaultTarget: { kind: 'phone', number: '+15551234567' },
    phrases: ['Speak to a person', 'human agent'],
    webhook: { url: 'https://crm.test/h', secret: 'k'.repeat(16), nowMs: () => 0, fetch, clock, timeoutMs: 1000 },
    deliver,
    carrierTransfers: {},
    findCall: (id) => (id === call.id ? call : undefined),
    nowMs: () => Date.UTC(2026, 11, 1),
    logger: silentLogger,
    ...over,
  });
  return { transfers, desk, delivered, call };
}

describe('transfers', () => {
  it('builds the record, leaves it for the carrier by call id, hands the call off and posts the record', async () => {
    const { transfers, desk, delivered, call } = service();
    const outcome = await transfers.transfer(call, { source: 'operator', reason: 'billing' });
    expect(outcome.ok).toBe(true);
    const handoff = outcome.ok ? outcome.handoff : undefined;
    expect(handoff).toEqual({
      callId: 'call-1',
      carrier: 'twilio',
      carrierIds: { CallSid: 'CA1', StreamSid: 'MZ1' },
      target: { kind: 'phone', number: '+15551234567' },
      reason: 'billing',
      source: 'operator',
      requestedAt: '2026-12-01T00:00:00.000Z',
      transcript: call.transcript,
      summary: 'Transferred call. Reason: billing. The caller said: my card was charged twice',
    });
    expect(desk.peek('CA1')).toBe(handoff);
    expect(call.handedOff).toEqual([handoff]);
    expect(delivered).toEqual([handoff]);
  });

  it('takes a target per request, and refuses a bad one (400), none at all (409) or an ended call (409)', async () => {
    const { transfers, call } = service();
    const sip = await transfers.transfer(call, { source: 'operator', to: 'sip:desk@pbx.test' });
    expect(sip.ok && sip.handoff.target).toEqual({ kind: 'sip', uri: 'sip:desk@pbx.test' });
    expect(await transfers.transfer(fakeCall(), { source: 'operator', to: '12' })).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/E\.164/) });
    const bare = service({ defaultTarget: undefined });
    expect(await bare.transfers.transfer(fakeCall(), { source: 'operator' })).toMatchObject({ ok: false, status: 409, error: expect.stringMatching(/TRANSFER_TO/) });
    expect(await transfers.transfer(fakeCall({ isOver: true }), { source: 'operator' })).toMatchObject({ ok: false, status: 409 });
  });

  it('names carrier ids per carrier and keeps a browser call off the desk (no carrier call id)', async () => {
    const { transfers, desk } = service();
    const vonage = await transfers.transfer(fakeCall({ kind: 'vonage', carrierCallId: 'uuid-1', streamId: undefined }), { source: 'operator' });
    expect(vonage.ok && vonage.handoff.carrierIds).toEqual({ uuid: 'uuid-1' });
    const browser = fakeCall({ kind: 'browser', carrierCallId: undefined, streamId: undefined });
    expect((await transfers.transfer(browser, { source: 'operator' })).ok).toBe(true);
    expect(browser.handedOff).toHaveLength(1);
    expect(desk.size).toBe(1);
  });

  it('moves the call at a carrier that needs it before handing off, and keeps the call when the carrier refuses (502)', async () => {
    const moved: string[] = [];
    const { transfers, desk } = service({
      carrierTransfers: {
        vonage: async (h, uuid) => {
          if (uuid === 'refused') throw new Error('Vonage answered 404');
          moved.push(`${uuid}→${h.target.kind}`);
        },
      },
    });
    const call = fakeCall({ kind: 'vonage', carrierCallId: 'uuid-1', streamId: undefined });
    expect((await transfers.transfer(call, { source: 'operator' })).ok).toBe(true);
    expect([moved, call.handedOff.length, desk.size]).toEqual([['uuid-1→phone'], 1, 0]);
    const refused = fakeCall({ kind: 'vonage', carrierCallId: 'refused' });
    expect(await transfers.transfer(refused, { source: 'operator' })).toEqual({ ok: false, status: 502, error: 'the carrier refused the transfer: Vonage answered 404' });
    expect(refused.handedOff).toEqual([]);
    expect(refused.held.map((h) => h.handoff.carrierIds.uuid)).toEqual(['refused']);
    expect(await refused.held[0].moved).toBe(false);
  });

  it('reports a carrier transfer done, and posts the record, when the stream closed before the carrier answered', async () => {
    const stream = { closed: false };
    const { transfers, delivered } = service({
      carrierTransfers: {
        vonage: async () => {
          // Vonage moved the call and closed its WebSocket before its answer to the PUT came back.
          stream.closed = true;
        },
      },
    });
    const call = fakeCall({ kind: 'vonage', carrierCallId: 'uuid-2', streamId: undefined });
    Object.defineProperty(call, 'isOver', { get: () => stream.closed });
    const outcome = await transfers.transfer(call, { source: 'model' });
    expect(outcome.ok).toBe(true);
    const handoff = outcome.ok ? outcome.handoff : undefined;
    expect(call.held.map((h) => h.handoff)).toEqual([handoff]);
    expect(await call.held[0].moved).toBe(true);
    expect(delivered).toEqual([handoff]);
  });

  it('refuses a second transfer while the carrier is still moving the call (409), and takes one after', async () => {
    let answer!: () => void;
    const { transfers } = service({ carrierTransfers: { vonage: () => new Promise<void>((resolve) => (answer = resolve)) } });
    const call = fakeCall({ kind: 'vonage', carrierCallId: 'uuid-3', streamId: undefined });
    const first = transfers.transfer(call, { source: 'phrase' });
    expect(await transfers.transfer(call, { source: 'model' })).toEqual({ ok: false, status: 409, error: 'a transfer of this call is already under way' });
    answer();
    expect((await first).ok).toBe(true);
    expect(call.held).toHaveLength(1);
    const again = transfers.transfer(call, { source: 'operator' });
    answer();
    expect((await again).ok).toBe(true);
  });

  it('transfers on a configured caller phrase, as whole words, case and punctuation aside', async () => {
    const { transfers, call } = service();
    expect(await transfers.onCallerText('call-1', 'Can I speak to a personnel manager')).toBe(false);
    expect(await transfers.onCallerText('call-2', 'I want a human agent')).toBe(false); // no such call
    expect(await transfers.onCallerText('call-1', 'Please, let me SPEAK to a person!')).toBe(true);
    expect(call.handedOff[0]).toMatchObject({ source: 'phrase', reason: 'the caller said "speak to a person"' });
    expect(await service({ defaultTarget: undefined }).transfers.onCallerText('call-1', 'human agent')).toBe(false);
  });

  it('offers the model a transfer_to_human tool that hands off the calling call', async () => {
    const { transfers, call } = service();
    const tool = transfers.tool();
    expect(tool.name).toBe(TRANSFER_TOOL_NAME);
    const ctx = { callId: 'call-1', signal: new AbortController().signal, logger: silentLogger };
    expect(await tool.run({ reason: 'caller is upset' }, ctx)).toEqual({ transferred: true, to: 'a phone line' });
    expect(call.handedOff[0]).toMatchObject({ source: 'model', reason: 'caller is upset' });
    await expect(tool.run({}, { ...ctx, callId: 'gone' })).rejects.toThrow('no longer live');
  });
});
