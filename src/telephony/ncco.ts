/**
 * NCCO for the Vonage answer webhook: a `connect` action to our WebSocket endpoint at
 * `audio/l16;rate=…` (protocols.md part 4.1, Vonage "WebSockets" guide).
 */

/** Inputs for `connectWebsocketNcco`. */
export interface ConnectWebsocketOptions {
  /** `wss://…/vonage/media`. */
  websocketUri: string;
  /** 8000, 16000 or 24000. */
  sampleRateHz: number;
  /** Event webhook URL. */
  eventUrl: string;
  /** Custom headers delivered in the first WebSocket message (≤ 512 bytes in total). */
  headers?: Record<string, string>;
}

/**
 * Builds the NCCO array.
 * @throws RangeError for a rate Vonage does not offer.
 */
export function connectWebsocketNcco(options: ConnectWebsocketOptions): unknown[] {
  if (![8000, 16000, 24000].includes(options.sampleRateHz)) throw new RangeError(`Vonage L16 rate must be 8000, 16000 or 24000, got ${options.sampleRateHz}`);
  return [
    {
      action: 'connect',
      eventType: 'synchronous',
      eventUrl: [options.eventUrl],
      endpoint: [
        {
          type: 'websocket',
          uri: options.websocketUri,
          'content-type': `audio/l16;rate=${options.sampleRateHz}`,
          headers: options.headers ?? {},
        },
      ],
    },
  ];
}
