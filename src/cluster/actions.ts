/**
 * Operator actions routed to the instance that holds the call (pub/sub): a request is published on
 * the holder's channel (`vb:actions:<instance>`), run there, and its answer published back on the
 * asker's channel (`vb:replies:<instance>`). Without Redis there is no other instance and no bus.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** An action on a live call (today: `transfer`, with the route's JSON body). */
export interface ActionRequest {
  action: 'transfer';
  callId: string;
  body: { reason?: string; to?: string };
}

/** The holder's answer, as the HTTP status and JSON body its own route would give. */
export interface ActionReply {
  status: number;
  body: unknown;
}

/** Longest wait for the holder's answer, ms (a transfer may wait for a carrier's API up to 5 s). */
export const ACTION_TIMEOUT_MS = 8000;

const ACTIONS = 'vb:actions:';
const REPLIES = 'vb:replies:';

/** Sends actions to other instances and runs theirs here. */
export class RedisActionBus {
  private readonly pending = new Map<string, (reply: ActionReply) => void>();
  private handler: ((request: ActionRequest) => Promise<ActionReply>) | undefined;

  /**
   * Subscribes to this instance's channels.
   * @param publisher the command connection; `subscriber` a connection kept for subscriptions.
   */
  constructor(private readonly deps: { publisher: Redis; subscriber: Redis; instanceId: string; clock: Clock; logger: Logger; timeoutMs?: number }) {
    const { subscriber, instanceId } = deps;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === `${ACTIONS}${instanceId}`) void this.run(message);
      else if (channel === `${REPLIES}${instanceId}`) this.answer(message);
    });
    subscriber.subscribe(`${ACTIONS}${instanceId}`, `${REPLIES}${instanceId}`).catch((err: unknown) => deps.logger.warn({ err: errorMessage(err) }, 'could not subscribe to operator actions'));
  }

  /** Runs requests from other instances with `handler`. */
  serve(handler: (request: ActionRequest) => Promise<ActionReply>): void {
    this.handler = handler;
  }

  /**
   * Sends `request` to `instance` and waits for its answer: 404 when no instance listens there
   * (it is gone), 503 when Redis cannot be reached, 504 when no answer came within the timeout.
   * Never rejects.
   */
  async send(instance: string, request: ActionRequest): Promise<ActionReply> {
    const id = randomUUID();
    const { clock } = this.deps;
    const timeoutMs = this.deps.timeoutMs ?? ACTION_TIMEOUT_MS;
    let timer: unknown;
    const answered = new Promise<ActionReply>((resolve) => {
      this.pending.set(id, resolve);
      timer = clock.setTimeout(() => resolve({ status: 504, body: { error: 'timeout', message: `instance ${instance} did not answer within ${timeoutMs} ms` } }), timeoutMs);
    });
    try {
      const receivers = await this.deps.publisher.publish(`${ACTIONS}${instance}`, JSON.stringify({ id, from: this.deps.instanceId, request }));
      if (receivers === 0) return { status: 404, body: { error: 'not_found', message: `no live call ${request.callId}: its instance ${instance} is gone` } };
      return await answered;
    } catch (err) {
      return { status: 503, body: { error: 'shared-state-unavailable', message: `the instance holding the call cannot be reached: ${errorMessage(err)}` } };
    } finally {
      clock.clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  private async run(message: string): Promise<void> {
    let parsed: { id: string; from: string; request: ActionRequest };
    try {
      parsed = JSON.parse(message);
      if (typeof parsed.id !== 'string' || typeof parsed.from !== 'string' || parsed.request?.action !== 'transfer' || typeof parsed.request.callId !== 'string') return;
    } catch {
      return;
    }
    let reply: ActionReply;
    try {
      reply = this.handler ? await this.handler(parsed.request) : { status: 404, body: { error: 'not_found', message: `no live call ${parsed.request.callId}` } };
    } catch (err) {
      reply = { status: 500, body: { error: 'internal', message: errorMessage(err) } };
    }
    await this.deps.publisher.publish(`${REPLIES}${parsed.from}`, JSON.stringify({ id: parsed.id, reply })).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'could not answer an operator action'));
  }

  private answer(message: string): void {
    try {
      const { id, reply } = JSON.parse(message) as { id: string; reply: ActionReply };
      this.pending.get(id)?.(reply);
    } catch {
      // not ours
    }
  }
}
