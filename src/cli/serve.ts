/**
 * `voicebridge serve`: validates the configuration, starts the server, and drains calls on
 * SIGTERM/SIGINT before exiting.
 */
import { loadConfig } from '../config/config.js';
import { createServer } from '../server.js';

/** Flags for `serve` (strings as given on the command line). */
export interface ServeFlags {
  port?: string;
  host?: string;
  model?: string;
}

/** Runs until a signal; returns the exit code. */
export async function runServe(flags: ServeFlags): Promise<number> {
  const config = loadConfig(process.env, { PORT: flags.port, HOST: flags.host, VOICEBRIDGE_MODEL: flags.model });
  const server = await createServer(config);
  const address = await server.listen();
  server.logger.info({ address }, `voicebridge listening on ${address}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      server.logger.info({ signal, calls: server.manager.size }, 'shutting down: draining calls');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  const forceExit = setTimeout(() => process.exit(1), config.DRAIN_TIMEOUT_MS + 10_000);
  forceExit.unref();
  await server.close();
  server.logger.info('stopped');
  // Everything is drained and closed; native WebRTC threads (libdatachannel) may still hold the
  // event loop open for a while after their connections closed, so leave now.
  process.exit(0);
}
