import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { TransferDesk } from './desk.js';
import { handoffSummary, MAX_SUMMARY_CHARS, type Handoff } from './record.js';
import { parseTransferTarget } from './target.js';
import { deliverHandoff, signHandoffBody, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyHandoffBody } from './webhook.js';

const handoff = (over: Partial<Handoff> = {}): Handoff => ({
  callId: 'c1',
  carrier: 'twilio',
  carrierIds: { CallSid: 'CA1', StreamSid: 'MZ1' },
  target: { kind: 'phone', number: '+15551234567' },
  reason: 'billing dispute',
  source: 'operator',
  requestedAt: '2026-12-01T00:00:00.000Z',
  transcript: [{ role: 'user', text: 'my bill is wrong' }],
  summary: 'x',
  ...over,
});

describe('transfer targets', () => {
  it.each([
    ['+15551234567', { kind: 'phone', number: '+15551234567' }],
    ['+44 (20) 7946-0958', { kind: 'phone', number: '+442079460958' }],
    ['sip:agent@pbx.example.com', { kind: 'sip', uri: 'sip:agent@pbx.example.com' }],
    ['sips:queue@10.0.0.5:5061;transport=tls', { kind: 'sip', uri: 'sips:queue@10.0.0.5:5061;transport=tls' }],
  ])('parses %s', (text, target) => {
    expect(parseTransferTarget(text)).toEqual({ ok: true, target });
  });

  it.each(['5551234567', '+0123456789', '+1234', '+1234567890123456', 'sip:', 'sip:a b@host', 'tel:+15551234567', ''])('refuses %j with a reason', (text) => {
    const r = parseTransferTarget(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/E\.164|SIP URI/);
  });
});

describe('hand-off summary', () => {
  it("gives the reason and the caller's last three lines, bounded", () => {
    const lines = ['one', 'two', 'three', 'four'].map((text) => ({ role: 'user' as const, text }));
    expect(handoffSummary('wants a person', [...lines, { role: 'assistant', text: 'ok' }])).toBe('Transferred call. Reason: wants a person. The caller said: two three four');
    expect(handoffSummary('', [])).toBe('Transferred call. Reason: not given. The caller has not spoken yet.');
    const long = handoffSummary('r', [{ role: 'user', text: 'word '.repeat(200) }]);
    expect(long.length).toBe(MAX_SUMMARY_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('transfer desk', () => {
  it('keeps a transfer until taken once, and forgets it after its time to live', () => {
    const clock = new FakeClock();
    const desk = new TransferDesk(clock, 1000);
    desk.put('CA1', handoff());
    expect(desk.peek('CA1')?.reason).toBe('billing dispute');
    expect(desk.take('CA1')?.reason).toBe('billing dispute');
    expect(desk.take('CA1')).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    desk.put('CA2', handoff());
    clock.advance(999);
    expect(desk.size).toBe(1);
    clock.advance(1);
    expect(desk.size).toBe(0);
    desk.put('CA3', handoff());
    desk.clear();
    expect([desk.size, clock.pendingTimers]).toEqual([0, 0]);
  });
});

describe('hand-off webhook', () => {
  it('POSTs the record signed over timestamp and body; a receiver verifies it and refuses tampering or age', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(req.url === '/fail' ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const nowMs = () => 1_764_547_200_000;
      const hook = { url: `${base}/hook`, secret: 'shh', nowMs, fetch, clock: new FakeClock(), timeoutMs: 5000 };
      expect(await deliverHandoff(hook, handoff())).toEqual({ ok: true, status: 204 });
      const { headers, body } = received[0]!;
      expect(JSON.parse(body)).toMatchObject({ callId: 'c1', carrierIds: { CallSid: 'CA1' } });
      const ts = Number(headers[TIMESTAMP_HEADER]);
      expect(ts).toBe(1_764_547_200);
      expect(headers[SIGNATURE_HEADER]).toBe(signHandoffBody('shh', ts, body));
      expect(verifyHandoffBody('shh', headers[SIGNATURE_HEADER] as string, ts, body, ts + 10)).toBe(true);
      expect(verifyHandoffBody('shh', headers[SIGNATURE_HEADER] as string, ts, `${body} `, ts)).toBe(false);
      expect(verifyHandoffBody('other', headers[SIGNATURE_HEADER] as string, ts, body, ts)).toBe(false);
      expect(verifyHandoffBody('shh', headers[SIGNATURE_HEADER] as string, ts, body, ts + 301)).toBe(false);
      expect(await deliverHandoff({ ...hook, url: `${base}/fail` }, handoff())).toEqual({ ok: false, error: 'webhook answered 500' });
      expect(await deliverHandoff({ ...hook, url: 'http://127.0.0.1:1/nothing' }, handoff())).toMatchObject({ ok: false });
    } finally {
      server.close();
    }
  });

  it('gives up at its timeout on the injected clock', async () => {
    const clock = new FakeClock();
    const hanging: typeof fetch = (_url, init) => new Promise((_, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    const result = deliverHandoff({ url: 'http://h.test/', secret: 's', nowMs: () => 0, fetch: hanging, clock, timeoutMs: 3000 }, handoff());
    clock.advance(3000);
    expect(await result).toEqual({ ok: false, error: 'no answer within 3000 ms' });
    expect(clock.pendingTimers).toBe(0);
  });
});
