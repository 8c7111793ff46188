/**
 * A scripted fake of the OpenAI Realtime WebSocket endpoint for tests: a real `ws`
 * WebSocketServer on 127.0.0.1 (a free port) that checks `Authorization: Bearer` (HTTP 401 with
 * OpenAI's error body otherwise), records every client event of each connection, answers the
 * handshake events as the GA API does (`session.created` on connect, `session.updated` after each
 * `session.update`, unless told otherwise), and lets the test push any server event or close the
 * socket. It generates nothing by itself: helpers below build the events of a user turn and an
 * assistant reply. (The full emulator lives in src/emulators/openai-realtime/.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { mulawEncode } from '../../src/audio/g711.js';

/** What a new connection does with `session.update`: acknowledge it, refuse it with this `error` object, or say nothing. */
export type SessionUpdateBehaviour = 'ack' | 'silent' | { error: Record<string, unknown> };

/** One client connection to the fake. */
export class FakeRealtimeConnection {
  /** Client events received, parsed, in order. */
  readonly events: Record<string, any>[] = [];
  /** Close code and reason once the socket closed. */
  closed: { code: number; reason: string } | undefined;
  private seq = 0;

  /** @param behaviour what this connection does with `session.update` (a test may change it: `silent` stalls the answers). */
  constructor(readonly socket: WebSocket, readonly request: http.IncomingMessage, public behaviour: SessionUpdateBehaviour) {
    socket.on('message', (data) => {
      let event: Record<string, any>;
      try {
        event = JSON.parse(data.toString());
      } catch {
        return;
      }
      this.events.push(event);
      if (event.type === 'session.update') this.answerSessionUpdate(event);
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.push({ type: 'session.created', session: { type: 'realtime', object: 'realtime.session', id: 'sess_fake' } });
  }

  private answerSessionUpdate(event: Record<string, any>): void {
    if (this.behaviour === 'silent') return;
    if (this.behaviour === 'ack') this.push({ type: 'session.updated', session: event.session });
    else this.push({ type: 'error', error: { type: 'invalid_request_error', event_id: null, ...this.behaviour.error } });
  }

  /** Types of the client events received, in order. */
  types(): string[] {
    return this.events.map((e) => e.type as string);
  }

  /** Client events of `type`. */
  ofType(type: string): Record<string, any>[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Sends one server event (an `event_id` is added when missing). */
  push(event: Record<string, unknown>): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify({ event_id: `event_${++this.seq}`, ...event }));
  }

  /** Sends raw text (for malformed-input tests). */
  pushRaw(text: string): void {
    this.socket.send(text);
  }

  /** Closes the socket from the server side. */
  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
  }

  /** Drops the TCP connection without a closing handshake. */
  drop(): void {
    this.socket.terminate();
  }
}

/** Options of the fake. */
export interface FakeRealtimeOptions {
  /** The key clients must send as `Authorization: Bearer …`. */
  apiKey?: string;
  /** What new connections do with `session.update` (default `ack`). */
  sessionUpdate?: SessionUpdateBehaviour;
}

/** The fake endpoint. */
export class FakeOpenAIRealtimeServer {
  /** Connections, oldest first. */
  readonly connections: FakeRealtimeConnection[] = [];
  /** Handshakes refused for a bad key. */
  refused = 0;
  sessionUpdate: SessionUpdateBehaviour;

  private constructor(private readonly server: http.Server, private readonly wss: WebSocketServer, readonly apiKey: string, options: FakeRealtimeOptions) {
    this.sessionUpdate = options.sessionUpdate ?? 'ack';
  }

  /** Starts the fake on 127.0.0.1 on a free port. */
  static async start(options: FakeRealtimeOptions = {}): Promise<FakeOpenAIRealtimeServer> {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ noServer: true });
    const fake = new FakeOpenAIRealtimeServer(server, wss, options.apiKey ?? 'sk-test', options);
    server.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== `Bearer ${fake.apiKey}`) {
        fake.refused++;
        const body = JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => fake.connections.push(new FakeRealtimeConnection(ws, req, fake.sessionUpdate)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The endpoint URL (`ws://127.0.0.1:PORT/v1/realtime?model=…`). */
  url(model = 'gpt-realtime'): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/realtime?model=${model}`;
  }

  /** The newest connection. */
  get last(): FakeRealtimeConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no connection to the fake OpenAI Realtime server yet');
    return c;
  }

  /** Closes every connection and the server. */
  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The server events of a user turn: speech started/stopped, committed, and its transcript. */
export function userTurn(itemId: string, text: string): Record<string, unknown>[] {
  return [
    { type: 'input_audio_buffer.speech_started', item_id: itemId, audio_start_ms: 100 },
    { type: 'input_audio_buffer.speech_stopped', item_id: itemId, audio_end_ms: 900 },
    { type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: null },
    { type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: text.slice(0, Math.ceil(text.length / 2)) },
    { type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: text },
  ];
}

/**
 * The server events of one assistant reply with `pcm` (PCM16 24 kHz, sent in 100 ms deltas) and its
 * transcript word by word; `done: false` leaves out `response.done` (a reply still streaming).
 */
export function assistantReply(responseId: string, itemId: string, text: string, pcm: Int16Array, options: { done?: boolean; usage?: { input_tokens: number; output_tokens: number }; format?: 'audio/pcm' | 'audio/pcmu' } = {}): Record<string, unknown>[] {
  const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', content: [] } },
  ];
  const words = text.split(' ');
  const mulaw = options.format === 'audio/pcmu';
  const chunk = mulaw ? 800 : 2400; // 100 ms
  const encode = (part: Int16Array) => (mulaw ? Buffer.from(mulawEncode(part)) : Buffer.from(part.buffer)).toString('base64');
  for (let at = 0, w = 0; at < pcm.length || w < words.length; at += chunk, w++) {
    if (at < pcm.length) events.push({ type: 'response.output_audio.delta', ...ids, delta: encode(pcm.slice(at, at + chunk)) });
    if (w < words.length) events.push({ type: 'response.output_audio_transcript.delta', ...ids, delta: (w ? ' ' : '') + words[w] });
  }
  if (options.done === false) return events;
  events.push(
    { type: 'response.output_audio.done', ...ids },
    { type: 'response.output_audio_transcript.done', ...ids, transcript: text },
    { type: 'response.done', response: { id: responseId, object: 'realtime.response', status: 'completed', output: [], usage: { total_tokens: 0, input_tokens: 50, output_tokens: 20, ...options.usage } } },
  );
  return events;
}

/** The server events of a function call in response `responseId` (`argumentsJson` sent as it is). */
export function functionCall(responseId: string, callId: string, name: string, argumentsJson: string): Record<string, unknown>[] {
  const itemId = `item_${callId}`;
  return [
    { type: 'response.created', response: { id: responseId, status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { id: itemId, type: 'function_call', name, call_id: callId, arguments: '' } },
    { type: 'response.function_call_arguments.done', response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, name, arguments: argumentsJson },
    { type: 'response.done', response: { id: responseId, status: 'completed', output: [{ id: itemId, type: 'function_call', name, call_id: callId, arguments: argumentsJson }], usage: { total_tokens: 0, input_tokens: 10, output_tokens: 5 } } },
  ];
}
