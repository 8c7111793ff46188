/**
 * Vonage hand-off: the Voice API's transfer (`PUT /v1/calls/{uuid}`, `action: transfer` with an
 * inline NCCO that connects the caller to the target; protocols.md §4.6, Vonage "Transfer a call
 * with inline NCCO") through the official SDK (`@vonage/voice`), authenticated with the
 * application's id and private key (an RS256 JWT the SDK signs). Transfer replaces the running
 * NCCO, which ends the WebSocket leg.
 */
import { NCCOActions, Voice, type ConnectAction } from '@vonage/voice';
import type { Handoff } from './record.js';
import type { CarrierTransfer } from './service.js';
import type { TransferTarget } from './target.js';

/** The NCCO that connects the caller to `target` (Vonage numbers are E.164 without the `+`). */
export function transferNcco(target: TransferTarget): ConnectAction[] {
  const endpoint: ConnectAction['endpoint'][number] = target.kind === 'phone' ? { type: 'phone', number: target.number.replace(/^\+/, '') } : { type: 'sip', uri: target.uri };
  return [{ action: NCCOActions.CONNECT, endpoint: [endpoint] }];
}

/** The part of the SDK's Voice client this uses. */
export type VonageVoiceClient = Pick<Voice, 'transferCallWithNCCO'>;

/** Settings of the Voice API client. */
export interface VonageVoiceSettings {
  applicationId: string;
  /** The application's private key, PEM. */
  privateKey: string;
  /** API base URL, e.g. `https://api.nexmo.com` (a local stand-in in tests). */
  apiUrl: string;
  /** Longest wait for the API's answer, ms. */
  timeoutMs: number;
}

/** The official SDK's Voice client for `settings`. */
export function vonageVoiceClient(settings: VonageVoiceSettings): VonageVoiceClient {
  return new Voice({ applicationId: settings.applicationId, privateKey: settings.privateKey }, { apiHost: settings.apiUrl.replace(/\/+$/, ''), timeout: settings.timeoutMs });
}

/**
 * The carrier transfer for Vonage calls: moves the call with uuid `carrierCallId` to the hand-off's
 * target. Rejects with the API's error when it refuses (e.g. 404 for a call that has ended).
 */
export function vonageTransfer(client: VonageVoiceClient): CarrierTransfer {
  return async (handoff: Handoff, carrierCallId: string) => {
    await client.transferCallWithNCCO(carrierCallId, transferNcco(handoff.target));
  };
}

/**
 * The private key from `VONAGE_PRIVATE_KEY`: PEM text as it is (`\n` escapes turned into newlines),
 * otherwise the path of a PEM file, read with `readFile`.
 * @throws Error when the file cannot be read or holds no PEM private key.
 */
export function vonagePrivateKey(setting: string, readFile: (path: string) => string): string {
  const text = setting.includes('-----BEGIN') ? setting.replace(/\\n/g, '\n') : readFile(setting);
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) throw new Error('VONAGE_PRIVATE_KEY holds no PEM private key');
  return text;
}
