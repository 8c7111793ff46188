import { describe, expect, it } from 'vitest';
import { MAX_PATCH_CANDIDATES, parseIceCandidatePatch, parseSmallWebRtcOffer, smallWebRtcAnswer } from './smallwebrtc.js';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('parseSmallWebRtcOffer (the body SmallWebRTCTransport 1.10.8 POSTs)', () => {
  it('reads a first offer and a re-offer', () => {
    expect(parseSmallWebRtcOffer({ sdp: SDP, type: 'offer', pc_id: null, restart_pc: false })).toEqual({ ok: true, value: { sdp: SDP, pcId: null, restartPc: false } });
    expect(parseSmallWebRtcOffer({ sdp: SDP, type: 'offer', pc_id: 'abc', restart_pc: true, requestData: { x: 1 } })).toEqual({ ok: true, value: { sdp: SDP, pcId: 'abc', restartPc: true } });
    expect(parseSmallWebRtcOffer({ sdp: SDP, type: 'offer' })).toEqual({ ok: true, value: { sdp: SDP, pcId: null, restartPc: false } });
  });

  it('refuses what is not an offer, naming the field', () => {
    for (const [body, field] of [
      [{ sdp: SDP, type: 'answer' }, 'type'],
      [{ type: 'offer' }, 'sdp'],
      [{ sdp: 'hello', type: 'offer' }, 'sdp'],
      [{ sdp: 'v=0' + 'x'.repeat(70_000), type: 'offer' }, 'sdp'],
      [{ sdp: SDP, type: 'offer', pc_id: 7 }, 'pc_id'],
      [[], 'body'],
      ['v=0', 'body'],
      [null, 'body'],
    ] as const) {
      const r = parseSmallWebRtcOffer(body);
      expect(r.ok, JSON.stringify(body).slice(0, 60)).toBe(false);
      if (!r.ok) expect(r.error).toContain(`${field}:`);
    }
  });
});

describe('parseIceCandidatePatch (trickle ICE, pipecat-rtvi.md §4)', () => {
  it('reads candidates with their mid, taking the m-line index when the mid is missing', () => {
    const body = {
      pc_id: 'pc-1',
      candidates: [
        { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54299 typ host', sdp_mid: '0', sdp_mline_index: 0 },
        { candidate: 'candidate:2 1 udp 2122260223 127.0.0.1 54300 typ host', sdp_mid: null, sdp_mline_index: 3 },
        { candidate: '', sdp_mid: '0', sdp_mline_index: 0 },
      ],
    };
    expect(parseIceCandidatePatch(body)).toEqual({
      ok: true,
      value: {
        pcId: 'pc-1',
        candidates: [
          { candidate: body.candidates[0].candidate, mid: '0' },
          { candidate: body.candidates[1].candidate, mid: '3' },
          { candidate: '', mid: '0' },
        ],
      },
    });
  });

  it('refuses a body without pc_id, with too many candidates, or a candidate with no m-section', () => {
    expect(parseIceCandidatePatch({ candidates: [] }).ok).toBe(false);
    expect(parseIceCandidatePatch({ pc_id: 'p', candidates: Array.from({ length: MAX_PATCH_CANDIDATES + 1 }, () => ({ candidate: '', sdp_mid: '0' })) }).ok).toBe(false);
    const r = parseIceCandidatePatch({ pc_id: 'p', candidates: [{ candidate: 'candidate:1' }] });
    expect(r).toEqual({ ok: false, error: 'each candidate needs sdp_mid or sdp_mline_index' });
  });
});

it('smallWebRtcAnswer is the {sdp, type: "answer", pc_id} the client applies', () => {
  expect(smallWebRtcAnswer(SDP, 'pc-1')).toEqual({ sdp: SDP, type: 'answer', pc_id: 'pc-1' });
});
