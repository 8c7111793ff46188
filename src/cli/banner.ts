/**
 * The start-up block `voicebridge serve` prints once it listens: where the web page is and which
 * model answers calls, in a few lines (a terminal), or as one JSON log line (anything else).
 */

/** What the block reports. */
export interface StartupInfo {
  version: string;
  /** Bound address as Fastify reports it, e.g. `http://0.0.0.0:8080`. */
  address: string;
  /** Configured bind host (`HOST`), e.g. `0.0.0.0`. */
  host: string;
  model: string;
  availableModels: string[];
  webClient: boolean;
  /** Why WebRTC is unavailable (undefined: available). */
  webrtcUnavailable?: string;
  /** Where call records are kept, e.g. `PostgreSQL (DATABASE_URL)` or `embedded, in ./data`. */
  records?: string;
}

/**
 * The URL to open in a browser: all-interfaces hosts become `localhost` (browsers give the
 * microphone only to localhost or HTTPS pages).
 */
export function webPageUrl(address: string, host: string): string {
  const port = new URL(address).port;
  const h = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}${port ? `:${port}` : ''}/`;
}

/** The block's lines (no colours, no trailing newline). */
export function startupLines(info: StartupInfo): string[] {
  const others = info.availableModels.filter((m) => m !== info.model);
  const page = info.webClient ? webPageUrl(info.address, info.host) : 'not built (run npm run build)';
  return [
    `voicebridge ${info.version} listening on ${info.address}`,
    `  web page  ${page}`,
    `  model     ${info.model}${others.length ? `   (also available: ${others.join(', ')})` : ''}`,
    ...(info.records ? [`  records   ${info.records}`] : []),
    ...(info.webrtcUnavailable ? ['  WebRTC    unavailable (lean install); browsers use WebSocket'] : []),
    '  stop      Ctrl+C (live calls are drained first)',
  ];
}
