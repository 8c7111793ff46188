/**
 * A browser caller on `/client` for tests that read its protocol messages: opens the socket,
 * keeps every JSON message, and sends `session.start`.
 */
import WebSocket from 'ws';

/** One message of the browser protocol, as received. */
export type BrowserMessage = { type: string; [key: string]: unknown };

/** An open browser session. */
export interface BrowserSession {
  ws: WebSocket;
  /** Every JSON message received, in order. */
  messages: BrowserMessage[];
  /** Resolves with the close code. */
  closed: Promise<number>;
}

/**
 * Opens `/client` on the server at `baseUrl` (`http://…`) and starts a session.
 * @throws Error when the socket cannot open.
 */
export async function startBrowserSession(baseUrl: string): Promise<BrowserSession> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/client`);
  const messages: BrowserMessage[] = [];
  ws.on('message', (d, isBinary) => !isBinary && messages.push(JSON.parse(d.toString()) as BrowserMessage));
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'session.start' }));
  return { ws, messages, closed };
}
