/**
 * Real WebSocket pairs on 127.0.0.1 for transport tests: one `ws` server per test file (a free
 * port, closed after the file), and `open()` connects a client and hands back both ends.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

/** Both ends of one connection. */
export interface SocketPair {
  /** The client end (what a carrier or browser holds). */
  client: WebSocket;
  /** The server end (what a transport wraps). */
  server: WebSocket;
}

/**
 * Starts a WebSocket server for the calling test file (vitest `beforeAll`/`afterAll`).
 * `open(prepare)` connects a client, runs `prepare` on it before it opens (listeners that must not
 * miss anything), and resolves once both ends are open.
 */
export function useSocketPairs(): { open(prepare?: (client: WebSocket) => void): Promise<SocketPair> } {
  let wss: WebSocketServer;
  let url = '';
  const accepted: Array<(ws: WebSocket) => void> = [];
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws) => accepted.shift()?.(ws));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => wss.close(() => r())));
  return {
    async open(prepare) {
      const serverSide = new Promise<WebSocket>((r) => accepted.push(r));
      const client = new WebSocket(url);
      prepare?.(client);
      await new Promise((r) => client.once('open', r));
      return { client, server: await serverSide };
    },
  };
}
