/**
 * `voicebridge serve`: validates the configuration, starts the server, prints where it is, and
 * drains calls on SIGTERM/SIGINT before exiting. A failed listen (port taken, address not on this
 * machine) is one clear line and exit code 1.
 */
import { loadConfig } from '../config/config.js';
import { isPrettyFormat } from '../core/log-output.js';
import { createServer } from '../server.js';
import { startupLines, webPageUrl } from './banner.js';
import { describeListenError } from './listen-error.js';
import { packageVersion } from './version.js';

/** Flags for `serve` (strings as given on the command line). */
export interface ServeFlags {
  port?: string;
  host?: string;
  model?: string;
}

/**
 * Runs until a signal; returns the exit code (0 after a clean drain, 1 when it cannot listen).
 * The caller should exit the process with it: worker threads and native threads (onnxruntime,
 * libdatachannel) may otherwise keep it alive.
 * @throws ConfigError for invalid settings; Error when the configured model cannot start.
 */
export async function runServe(flags: ServeFlags): Promise<number> {
  const config = loadConfig(process.env, { PORT: flags.port, HOST: flags.host, VOICEBRIDGE_MODEL: flags.model });
  const server = await createServer(config);
  let address: string;
  try {
    address = await server.listen();
  } catch (err) {
    server.logger.error(describeListenError(err, config.HOST, config.PORT));
    await server.close(0);
    return 1;
  }
  const info = {
    version: packageVersion(),
    address,
    host: config.HOST,
    model: server.model.id,
    availableModels: server.availableModels,
    webClient: server.webClient,
    webrtcUnavailable: server.webrtcUnavailable,
  };
  if (isPrettyFormat(config.LOG_FORMAT, Boolean(process.stdout.isTTY))) process.stdout.write(`${startupLines(info).join('\n')}\n`);
  else server.logger.info({ address, webPage: server.webClient ? webPageUrl(address, config.HOST) : null, model: info.model, availableModels: info.availableModels, version: info.version }, `voicebridge listening on ${address}`);
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
  return 0;
}
