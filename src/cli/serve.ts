/**
 * `voicebridge serve`: validates the configuration, starts the server, prints where it is, and
 * drains calls on SIGTERM/SIGINT before exiting; a second signal ends the calls at once, politely. A failed listen (port taken, address not on this
 * machine) is one clear line and exit code 1.
 */
import { loadConfig } from '../config/config.js';
import { isPrettyFormat } from '../core/log-output.js';
import { createServer } from '../server.js';
import { startupLines, webPageUrl } from './banner.js';
import { describeListenError } from './listen-error.js';
import { packageVersion } from './version.js';
import { systemClock } from '../core/clock.js';

/** How long closing may take after the drain timeout before the process exits anyway, ms. */
const FORCE_EXIT_AFTER_DRAIN_MS = 10_000;

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
    records: config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded, in ${config.DATA_DIR} (DATA_DIR)`,
  };
  if (isPrettyFormat(config.LOG_FORMAT, Boolean(process.stdout.isTTY))) process.stdout.write(`${startupLines(info).join('\n')}\n`);
  else server.logger.info({ address, webPage: server.webClient ? webPageUrl(address, config.HOST) : null, model: info.model, availableModels: info.availableModels, records: info.records, version: info.version }, `voicebridge listening on ${address}`);
  await new Promise<void>((resolve) => {
    // First signal: drain (calls may finish for up to DRAIN_TIMEOUT_MS). A second one during the
    // drain ends the calls now, politely (close 1001, session.ended); never an abrupt exit that
    // drops every call with 1006. Handlers stay installed, so no later signal kills the process.
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        server.logger.info({ signal, calls: server.manager.size, drainTimeoutMs: config.DRAIN_TIMEOUT_MS }, `shutting down: draining calls (send ${signal} again to end them now)`);
        resolve();
      } else if (signals === 2) {
        const calls = server.manager.endCallsNow();
        server.logger.warn({ signal, calls }, `second ${signal} during the drain: ending ${calls} live calls now (close 1001 "server shutting down")`);
      } else {
        server.logger.warn({ signal, calls: server.manager.size }, `${signal} again: calls are already being ended; exiting once they are closed`);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  // Last resort if closing hangs (a stuck worker): say so, then exit.
  const forceExit = systemClock.setTimeout(() => {
    server.logger.error({ afterMs: config.DRAIN_TIMEOUT_MS + FORCE_EXIT_AFTER_DRAIN_MS }, 'shutdown did not finish: exiting now');
    process.exit(1);
  }, config.DRAIN_TIMEOUT_MS + FORCE_EXIT_AFTER_DRAIN_MS);
  (forceExit as NodeJS.Timeout).unref(); // a pending last-resort exit must not keep the process alive
  await server.close();
  server.logger.info('stopped');
  return 0;
}
