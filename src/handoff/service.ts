/**
 * Hand-off to a person: one path for the three ways a transfer is asked for (an operator's
 * `POST /calls/:id/transfer`, the model's `transfer_to_human` tool, a caller phrase from
 * `TRANSFER_PHRASES`). It builds the hand-off record, leaves it where the carrier will ask for it
 * (Twilio: the `TransferDesk`, read by the `<Connect action>` request after the stream ends), tells
 * a browser caller, moves the call at carriers that need it (Vonage's Voice API) before the
 * stream ends, POSTs the signed record to `TRANSFER_WEBHOOK_URL`, and ends the media stream.
 */
import type { Logger } from '../core/logger.js';
import type { Tool } from '../tools/registry.js';
import type { TransferDesk } from './desk.js';
import { handoffSummary, type Handoff, type HandoffLine, type HandoffSource } from './record.js';
import { parseTransferTarget, targetText, type TransferTarget } from './target.js';
import type { deliverHandoff, HandoffWebhook } from './webhook.js';

/** What the service needs of a live call. */
export interface TransferableCall {
  readonly id: string;
  /** The carrier (`twilio`, `vonage`, `browser`, …). */
  readonly kind: string;
  /** The carrier's call id (Twilio CallSid, Vonage uuid) and stream id (Twilio StreamSid). */
  readonly carrierCallId: string | undefined;
  readonly streamId: string | undefined;
  /** Final transcript lines so far. */
  readonly transcript: readonly HandoffLine[];
  /** Whether the call is over (a transfer of an ended call is refused). */
  readonly isOver: boolean;
  /** Keeps the record on the call, tells the caller (browser: a `transfer` event) and ends the media stream. */
  handOff(handoff: Handoff): void;
  /**
   * Keeps `handoff` on the call while its carrier moves it, until `moved` says whether it did: a
   * stream the carrier closes before its answer arrives then ends the call as transferred.
   */
  holdHandOff(handoff: Handoff, moved: Promise<boolean>): void;
}

/**
 * Moves a call at its carrier before the media stream ends (Vonage: the Voice API's transfer);
 * rejects when the carrier refused. Carriers without one (Twilio: `<Connect action>`; browsers) have none.
 */
export type CarrierTransfer = (handoff: Handoff, carrierCallId: string) => Promise<void>;

/** What a transfer request asks for. */
export interface TransferRequest {
  /** Target text (E.164 or `sip:`); default `TRANSFER_TO`. */
  to?: string;
  reason?: string;
  source: HandoffSource;
}

/**
 * The outcome: the record, or why not with an HTTP status (400 bad target, 409 nothing to do or a
 * transfer already under way, 502 the carrier refused the transfer; the call then goes on).
 */
export type TransferOutcome = { ok: true; handoff: Handoff } | { ok: false; status: 400 | 409 | 502; error: string };

/** Dependencies of `Transfers`. */
export interface TransfersDeps {
  desk: TransferDesk;
  /** `TRANSFER_TO`, when configured. */
  defaultTarget: TransferTarget | undefined;
  /** `TRANSFER_PHRASES`, lower-case. */
  phrases: readonly string[];
  /** Where records are POSTed (`TRANSFER_WEBHOOK_URL`), when configured. */
  webhook: HandoffWebhook | undefined;
  deliver: typeof deliverHandoff;
  /** Carrier-side transfers by carrier kind (e.g. `vonage`). */
  carrierTransfers: Readonly<Record<string, CarrierTransfer>>;
  /** The live call with this id. */
  findCall(callId: string): TransferableCall | undefined;
  /** Wall clock for `requestedAt`, ms since the epoch. */
  nowMs(): number;
  logger: Logger;
}

/** Name of the tool offered to models when `TRANSFER_TO` is set. */
export const TRANSFER_TOOL_NAME = 'transfer_to_human';

/** Hand-off of live calls to a person. */
export class Transfers {
  private readonly phrases: string[];
  /** Ids of calls whose carrier is moving them now (one transfer at a time per call). */
  private readonly moving = new Set<string>();

  constructor(private readonly deps: TransfersDeps) {
    this.phrases = deps.phrases.map((p) => normalize(p)).filter(Boolean);
  }

  /** Whether a transfer can happen without naming a target (`TRANSFER_TO` is set). */
  get hasDefaultTarget(): boolean {
    return this.deps.defaultTarget !== undefined;
  }

  /** Transfers `call`; never rejects. */
  async transfer(call: TransferableCall, request: TransferRequest): Promise<TransferOutcome> {
    if (call.isOver) return { ok: false, status: 409, error: 'the call has ended' };
    let target = this.deps.defaultTarget;
    if (request.to !== undefined) {
      const parsed = parseTransferTarget(request.to);
      if (!parsed.ok) return { ok: false, status: 400, error: parsed.error };
      target = parsed.target;
    }
    if (!target) return { ok: false, status: 409, error: 'no transfer target: set TRANSFER_TO or give "to"' };
    const reason = (request.reason ?? '').trim().slice(0, 500) || defaultReason(request.source);
    const transcript = call.transcript.map((l) => ({ role: l.role, text: l.text }));
    const carrierIds: Record<string, string> = {};
    if (call.carrierCallId) carrierIds[call.kind === 'twilio' ? 'CallSid' : call.kind === 'vonage' ? 'uuid' : 'carrierCallId'] = call.carrierCallId;
    if (call.streamId) carrierIds[call.kind === 'twilio' ? 'StreamSid' : 'streamId'] = call.streamId;
    const handoff: Handoff = {
      callId: call.id,
      carrier: call.kind,
      carrierIds,
      target,
      reason,
      source: request.source,
      requestedAt: new Date(this.deps.nowMs()).toISOString(),
      transcript,
      summary: handoffSummary(reason, transcript),
    };
    const log = { callId: call.id, to: targetText(target), source: request.source, ...carrierIds };
    const atCarrier = this.deps.carrierTransfers[call.kind];
    if (atCarrier && call.carrierCallId) {
      if (this.moving.has(call.id)) return { ok: false, status: 409, error: 'a transfer of this call is already under way' };
      this.moving.add(call.id);
      let settle!: (moved: boolean) => void;
      call.holdHandOff(handoff, new Promise<boolean>((resolve) => (settle = resolve)));
      try {
        await atCarrier(handoff, call.carrierCallId);
        settle(true);
      } catch (err) {
        settle(false);
        const error = `the carrier refused the transfer: ${err instanceof Error ? err.message : String(err)}`;
        this.deps.logger.warn({ ...log, err: error }, 'transfer failed; the call goes on');
        return { ok: false, status: 502, error };
      } finally {
        this.moving.delete(call.id);
      }
      // The carrier has moved the call; its stream may already have closed (the call then ended as transferred).
    } else if (call.carrierCallId) this.deps.desk.put(call.carrierCallId, handoff);
    this.deps.logger.info(log, 'handing the call to a person');
    call.handOff(handoff);
    const webhook = this.deps.webhook;
    if (webhook) {
      void this.deps.deliver(webhook, handoff).then((r) => {
        if (!r.ok) this.deps.logger.warn({ callId: call.id, err: r.error }, 'hand-off webhook not delivered');
      });
    }
    return { ok: true, handoff };
  }

  /** Transfers the call with id `callId` when `text` (a final caller line) contains a `TRANSFER_PHRASES` phrase. */
  onCallerText(callId: string, text: string): Promise<boolean> {
    if (!this.phrases.length || !this.hasDefaultTarget) return Promise.resolve(false);
    const said = normalize(text);
    const phrase = this.phrases.find((p) => ` ${said} `.includes(` ${p} `));
    const call = phrase ? this.deps.findCall(callId) : undefined;
    if (!phrase || !call) return Promise.resolve(false);
    return this.transfer(call, { source: 'phrase', reason: `the caller said "${phrase}"` }).then((o) => o.ok);
  }

  /** The `transfer_to_human` tool (offered when `TRANSFER_TO` is set). */
  tool(): Tool {
    return {
      name: TRANSFER_TOOL_NAME,
      description: 'Hands the call to a human agent. Use it when the caller asks for a person, or when you cannot help. Say a short goodbye first; the call is transferred right after.',
      inputSchema: { type: 'object', properties: { reason: { type: 'string', description: 'Why the caller needs a person, in a few words' } }, required: [] },
      run: async (args, ctx) => {
        const call = this.deps.findCall(ctx.callId);
        if (!call) throw new Error('the call is no longer live');
        const outcome = await this.transfer(call, { source: 'model', reason: typeof args.reason === 'string' ? args.reason : undefined });
        if (!outcome.ok) throw new Error(outcome.error);
        return { transferred: true, to: outcome.handoff.target.kind === 'phone' ? 'a phone line' : 'a SIP line' };
      },
    };
  }
}

function defaultReason(source: HandoffSource): string {
  return source === 'operator' ? 'an operator transferred the call' : source === 'model' ? 'the assistant asked for a person' : 'the caller asked for a person';
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, ' ').replace(/\s+/g, ' ').trim();
}
