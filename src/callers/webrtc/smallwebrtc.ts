/**
 * Pure parsing of Pipecat SmallWebRTC signalling bodies (`../shared/reference/pipecat-rtvi.md`
 * §3–§4, from `@pipecat-ai/small-webrtc-transport` 1.10.8 and Pipecat's
 * `transports/smallwebrtc/request_handler.py`): the JSON offer `{sdp, type: "offer", pc_id,
 * restart_pc}` POSTed to the offer URL, and the trickle-ICE `PATCH {pc_id, candidates: [{candidate,
 * sdp_mid, sdp_mline_index}]}` to the same URL. No I/O.
 */
import { z } from 'zod';

/** Largest SDP accepted, characters (the SDP route's limit too). */
export const MAX_SDP_CHARS = 64 * 1024;
/** Most candidates one PATCH may carry (the client sends about 4 per m-section per batch). */
export const MAX_PATCH_CANDIDATES = 64;

/** A SmallWebRTC offer. */
export interface SmallWebRtcOffer {
  sdp: string;
  /** The `pc_id` of an earlier answer (re-offer or reconnection), null on the first offer. */
  pcId: string | null;
  /** The client rebuilt its peer connection (reconnection after ICE failure). */
  restartPc: boolean;
}

/** One trickled ICE candidate: the `candidate:` line and the m-section it belongs to. */
export interface TrickledCandidate {
  candidate: string;
  mid: string;
}

/** A trickle-ICE update for the peer connection `pcId`. */
export interface IceCandidatePatch {
  pcId: string;
  candidates: TrickledCandidate[];
}

/** Result of parsing: the value, or why the body is unusable (for a 400). */
export type SignallingParse<T> = { ok: true; value: T } | { ok: false; error: string };

const pcId = z.string().min(1).max(128);
const offerSchema = z
  .object({
    sdp: z.string().min(1).max(MAX_SDP_CHARS).refine((s) => s.startsWith('v=0'), 'sdp must be an SDP description (starting "v=0")'),
    type: z.literal('offer'),
    pc_id: pcId.nullish(),
    restart_pc: z.boolean().nullish(),
  })
  .loose();
const candidateSchema = z.object({
  candidate: z.string().max(1024),
  sdp_mid: z.string().max(32).nullish(),
  sdp_mline_index: z.number().int().min(0).max(63).nullish(),
});
const patchSchema = z.object({ pc_id: pcId, candidates: z.array(candidateSchema).max(MAX_PATCH_CANDIDATES) }).loose();

/** The first problem zod found, as `field: message`. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid body';
}

/** Parses a SmallWebRTC offer body (already JSON-decoded). Never throws. */
export function parseSmallWebRtcOffer(body: unknown): SignallingParse<SmallWebRtcOffer> {
  const r = offerSchema.safeParse(body);
  if (!r.success) return { ok: false, error: `not a SmallWebRTC offer {sdp, type: "offer", pc_id, restart_pc}: ${firstIssue(r.error)}` };
  return { ok: true, value: { sdp: r.data.sdp, pcId: r.data.pc_id ?? null, restartPc: r.data.restart_pc ?? false } };
}

/**
 * Parses a trickle-ICE PATCH body. A candidate without `sdp_mid` takes its m-line index as the mid
 * (browsers number their mids 0, 1, 2… in m-line order); one with neither is refused.
 */
export function parseIceCandidatePatch(body: unknown): SignallingParse<IceCandidatePatch> {
  const r = patchSchema.safeParse(body);
  if (!r.success) return { ok: false, error: `not an ICE candidate update {pc_id, candidates: [{candidate, sdp_mid, sdp_mline_index}]}: ${firstIssue(r.error)}` };
  const candidates: TrickledCandidate[] = [];
  for (const c of r.data.candidates) {
    const mid = c.sdp_mid ?? (c.sdp_mline_index != null ? String(c.sdp_mline_index) : undefined);
    if (mid === undefined) return { ok: false, error: 'each candidate needs sdp_mid or sdp_mline_index' };
    candidates.push({ candidate: c.candidate, mid });
  }
  return { ok: true, value: { pcId: r.data.pc_id, candidates } };
}

/** The answer body the client applies: `{sdp, type: "answer", pc_id}` (`pc_id` names the peer connection in later PATCHes). */
export function smallWebRtcAnswer(sdp: string, pcId: string): { sdp: string; type: 'answer'; pc_id: string } {
  return { sdp, type: 'answer', pc_id: pcId };
}
