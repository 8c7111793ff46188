/**
 * Close reasons over `ws`: cut to 123 bytes on a character boundary, so a reason quoting a
 * peer's multi-byte text can never make `ws` throw out of a message handler.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { closeReason, WsCallerSocket } from './ws-socket.js';

describe('closeReason', () => {
  it('keeps reasons that fit and cuts longer ones to 123 bytes of whole characters', () => {
    expect(closeReason('stream stopped')).toBe('stream stopped');
    expect(closeReason('a'.repeat(123))).toBe('a'.repeat(123));
    expect(closeReason('a'.repeat(200))).toBe('a'.repeat(123));
    for (const ch of ['é', '€', '😀']) {
      for (let pad = 115; pad <= 123; pad++) {
        const reason = 'a'.repeat(pad) + ch.repeat(3);
        const cut = closeReason(reason);
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
        expect(cut).not.toContain('\uFFFD');
        expect(reason.startsWith(cut)).toBe(true);
        // Whole characters only, and no more cut than the one character that did not fit.
        if (Buffer.byteLength(reason) <= 123) expect(cut).toBe(reason);
        else expect(123 - Buffer.byteLength(cut)).toBeLessThan(Buffer.byteLength(ch));
      }
    }
  });
});

describe('WsCallerSocket.close', () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => wss?.close(resolve));
    wss = undefined;
  });

  it('closes with a reason quoting multi-byte text cut mid-character, without throwing', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const [server] = (await once(wss, 'connection')) as [WebSocket];
    const closed = once(client, 'close') as Promise<[number, Buffer]>;
    const reason = `unsupported media format ${'a'.repeat(97)}é/8000/1`; // byte 123 is inside the é
    expect(() => new WsCallerSocket(server).close(1008, reason)).not.toThrow();
    const [code, got] = await closed;
    expect(code).toBe(1008);
    expect(got.toString()).toBe(`unsupported media format ${'a'.repeat(97)}`);
  });
});
