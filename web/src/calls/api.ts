/**
 * The calls pages' requests to the server's call-record routes (`src/http/calls-routes.ts`), with
 * the admin bearer, and the shapes they answer. Fields the records may lack (older records, or
 * servers without usage/cost) are optional here.
 */
import type { CallEvent, CallSummary, TurnRecord } from '../../../src/call/types.js';

/** A turn with its metrics (`TurnRecord`: each timing absent on records that predate it). */
export type TurnWithMetrics = TurnRecord;

/** A model session handover or model error during a call (`CallEvent`). */
export type CallEventRecord = CallEvent;

/** An ended call's record as `GET /calls` and `GET /calls/:id` answer it (`CallSummary`). */
export type CallRecord = CallSummary;

/** A live call as `GET /calls` lists it. */
export interface LiveCall {
  id: string;
  phase: string;
  startedAtMs: number;
  startedAt?: string;
  kind: string;
  model: string;
  turns: number;
  transcript: CallSummary['transcript'];
}

/** `GET /calls`: live calls and one page of ended ones, newest first. */
export interface CallList {
  live: LiveCall[];
  recent: CallRecord[];
  nextCursor: string | null;
  /** Over every stored call matching the filters (all pages), when the server counts them. */
  totals?: { calls: number; durationMs: number; costUsd: number | null };
}

/** `GET /calls/:id` of a call still running: its state so far. */
export type LiveRecord = LiveCall & { live: true; toolCalls: CallSummary['toolCalls'] };

/** A refused or failed request: the HTTP status and what to tell people. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why the server refused (401/403), in plain words. */
export function refusal(status: number): string {
  return status === 401
    ? 'The call list needs the admin token (ADMIN_TOKEN) or a sign-in token with the admin scope.'
    : 'This token may not list calls, or the server lists them only on its own machine: paste the admin token.';
}

/** The request headers that carry `bearer` (none when empty). */
export function authHeaders(bearer: string): Record<string, string> {
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}

/**
 * A request to the server with the admin bearer.
 * @throws RequestError on a refusal (401/403: what to paste), another HTTP error (the server's
 *   message), or an unreachable server (status 0).
 */
export async function request(path: string, bearer: string, init: RequestInit = {}): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(path, { ...init, headers: { ...authHeaders(bearer), ...(init.headers as Record<string, string> | undefined) } });
  } catch {
    throw new RequestError(0, 'The server is unreachable.');
  }
  if (r.ok) return r;
  if (r.status === 401 || r.status === 403) throw new RequestError(r.status, refusal(r.status));
  const body = (await r.json().catch(() => null)) as { message?: string } | null;
  throw new RequestError(r.status, body?.message ? `${body.message} (HTTP ${r.status})` : `HTTP ${r.status}`);
}

/** `GET /calls?…` (`query` from `apiQuery`). */
export async function listCalls(query: string, bearer: string): Promise<CallList> {
  return (await request(`/calls?${query}`, bearer)).json() as Promise<CallList>;
}

/** `GET /calls/:id`: the record, or a live call's state so far. @throws RequestError (404: no such call, in plain words). */
export async function getCall(id: string, bearer: string): Promise<CallRecord | LiveRecord> {
  try {
    return (await (await request(`/calls/${encodeURIComponent(id)}`, bearer)).json()) as CallRecord | LiveRecord;
  } catch (err) {
    if (err instanceof RequestError && err.status === 404) throw new RequestError(404, `No call ${id} in the records: it was deleted, or the link is wrong.`);
    throw err;
  }
}

/** `DELETE /calls/:id`: the record and its recording. */
export async function deleteCall(id: string, bearer: string): Promise<void> {
  await request(`/calls/${encodeURIComponent(id)}`, bearer, { method: 'DELETE' });
}

/** `GET /calls/:id/recording.wav` as bytes, or null when the server has none (404). */
export async function getRecording(id: string, bearer: string): Promise<ArrayBuffer | null> {
  try {
    return await (await request(`/calls/${encodeURIComponent(id)}/recording.wav`, bearer)).arrayBuffer();
  } catch (err) {
    if (err instanceof RequestError && err.status === 404) return null;
    throw err;
  }
}
