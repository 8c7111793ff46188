/**
 * Builds the hand-off service from the configuration: the default target and phrases, the signed
 * webhook, and the carriers that move calls themselves (Vonage through the Voice API when its
 * application credentials are set).
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TransferDesk } from './desk.js';
import { Transfers, type CarrierTransfer, type TransferableCall } from './service.js';
import type { TransferTarget } from './target.js';
import { deliverHandoff } from './webhook.js';
import { vonagePrivateKey, vonageTransfer, vonageVoiceClient } from './vonage.js';

/** Longest wait for the hand-off webhook or the Voice API, ms. */
export const HANDOFF_HTTP_TIMEOUT_MS = 5000;

/** The settings the hand-off uses (names as in the configuration table). */
export interface HandoffSettings {
  TRANSFER_TO: TransferTarget | undefined;
  TRANSFER_PHRASES: string[];
  TRANSFER_WEBHOOK_URL: string | undefined;
  TRANSFER_WEBHOOK_SECRET: string | undefined;
  VONAGE_APPLICATION_ID: string | undefined;
  VONAGE_PRIVATE_KEY: string | undefined;
  VONAGE_API_URL: string | undefined;
}

/**
 * The hand-off service.
 * @throws Error when `VONAGE_PRIVATE_KEY` names a file that cannot be read or holds no PEM key.
 */
export function composeTransfers(settings: HandoffSettings, deps: { desk: TransferDesk; clock: Clock; logger: Logger; findCall(callId: string): TransferableCall | undefined }): Transfers {
  const carrierTransfers: Record<string, CarrierTransfer> = {};
  if (settings.VONAGE_APPLICATION_ID && settings.VONAGE_PRIVATE_KEY) {
    const privateKey = vonagePrivateKey(settings.VONAGE_PRIVATE_KEY, (path) => readFileSync(path, 'utf8'));
    carrierTransfers.vonage = vonageTransfer(vonageVoiceClient({ applicationId: settings.VONAGE_APPLICATION_ID, privateKey, apiUrl: settings.VONAGE_API_URL ?? 'https://api.nexmo.com', timeoutMs: HANDOFF_HTTP_TIMEOUT_MS }));
  }
  const webhook = settings.TRANSFER_WEBHOOK_URL && settings.TRANSFER_WEBHOOK_SECRET
    ? { url: settings.TRANSFER_WEBHOOK_URL, secret: settings.TRANSFER_WEBHOOK_SECRET, nowMs: Date.now, fetch: globalThis.fetch, clock: deps.clock, timeoutMs: HANDOFF_HTTP_TIMEOUT_MS }
    : undefined;
  return new Transfers({
    desk: deps.desk,
    defaultTarget: settings.TRANSFER_TO,
    phrases: settings.TRANSFER_PHRASES,
    webhook,
    deliver: deliverHandoff,
    carrierTransfers,
    findCall: deps.findCall,
    nowMs: Date.now,
    logger: deps.logger,
  });
}
