/**
 * A raw OpenAI Realtime WebSocket client for emulator tests: sends client events as JSON, keeps
 * every server event in order, and waits for events by type (and an optional condition).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { loadResamplerFactory } from '../../src/audio/resample.js';
import { echoBrainFactory } from '../../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator, type OpenAIRealtimeEmulatorOptions } from '../../src/emulators/openai-realtime/server.js';
import { eventually } from './wait.js';

/** A server event as received. */
export type ServerEvent = { type: string; [k: string]: unknown };

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');

/** The committed test certificate and key for 127.0.0.1 / localhost (valid until 2126). */
export const TEST_TLS = { key: readFileSync(join(fixtures, 'key.pem')), cert: readFileSync(join(fixtures, 'cert.pem')) };

/** A connected raw client. */
export class RealtimeTestClient {
  readonly events: ServerEvent[] = [];
  closeCode: number | undefined;
  closeReason = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.events.push(JSON.parse(data.toString()) as ServerEvent));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  /** Connects to `wsUrl?model=…` with `key` as a Bearer token; resolves once open. */
  static async connect(wsUrl: string, key = 'test', model = 'gpt-realtime', options: WebSocket.ClientOptions = {}): Promise<RealtimeTestClient> {
    const ws = new WebSocket(`${wsUrl}?model=${model}`, { headers: { Authorization: `Bearer ${key}` }, ...options });
    const client = new RealtimeTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  /** Sends `pcm` bytes (already in the session's input format) as appends of `chunkBytes`. */
  append(bytes: Uint8Array, chunkBytes = 4800): void {
    for (let at = 0; at < bytes.length; at += chunkBytes) this.send({ type: 'input_audio_buffer.append', audio: Buffer.from(bytes.subarray(at, at + chunkBytes)).toString('base64') });
  }

  /** Events of `type` received so far. */
  of(type: string): ServerEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Waits for the `n`-th (1-based) event of `type` matching `where`. */
  async next(type: string, where: (e: ServerEvent) => boolean = () => true, n = 1, timeoutMs = 20_000): Promise<ServerEvent> {
    return eventually(() => this.events.filter((e) => e.type === type && where(e))[n - 1], `server event ${type} #${n}`, timeoutMs);
  }

  /** Waits until the socket has closed. */
  async closed(timeoutMs = 20_000): Promise<number> {
    return eventually(() => this.closeCode, 'the socket to close', timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The emulator fixture of the emulator tests: `start()` runs an OpenAI Realtime emulator with the
 * echo brain at burst pace (plus `defaults`, then per-test `options`), `connect()` opens a raw
 * client with `key` (default `defaultKey`) and, unless `waitForCreated` is false, waits for
 * `session.created`; emulators and clients are closed after each test.
 */
export function useRealtimeEmulator(defaults: Partial<OpenAIRealtimeEmulatorOptions> = {}, defaultKey = 'test'): {
  start(options?: Partial<OpenAIRealtimeEmulatorOptions>): Promise<OpenAIRealtimeEmulator>;
  connect(emulator: OpenAIRealtimeEmulator, options?: { key?: string; waitForCreated?: boolean }): Promise<RealtimeTestClient>;
} {
  let emulator: OpenAIRealtimeEmulator | undefined;
  const clients: RealtimeTestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await emulator?.close();
    emulator = undefined;
  });
  return {
    async start(options = {}) {
      emulator = await startOpenAIRealtimeEmulator({ brain: echoBrainFactory(1500), resamplers: await loadResamplerFactory(), pace: 'burst', ...defaults, ...options });
      return emulator;
    },
    async connect(e, { key = defaultKey, waitForCreated = true } = {}) {
      const c = await RealtimeTestClient.connect(e.wsUrl, key);
      clients.push(c);
      if (waitForCreated) await c.next('session.created');
      return c;
    },
  };
}
