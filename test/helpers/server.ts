/**
 * Starts a real voicebridge server on 127.0.0.1 with a free port for a test file.
 */
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { SpeechModel } from '../../src/models/model.js';
import { createServer, type Server } from '../../src/server.js';

/** A running test server. */
export interface TestServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts the server with `settings` on top of test defaults (silent logs, port 0, loopback interface). */
export async function startTestServer(settings: Partial<Record<keyof Config, unknown>> = {}, model?: SpeechModel): Promise<TestServer> {
  const config = loadConfig({}, { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', DRAIN_TIMEOUT_MS: 2000, ...settings });
  const server = await createServer(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), model });
  const url = await server.listen();
  return { url, server, close: () => server.close(1000) };
}
