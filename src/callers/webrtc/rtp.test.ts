import { describe, expect, it } from 'vitest';
import { buildRtp, offerAudio, parseRtp } from './rtp.js';

describe('RTP', () => {
  it('round-trips a packet and reads CSRC, extension and padding correctly', () => {
    const pkt = buildRtp({ payloadType: 111, sequenceNumber: 65535, timestamp: 4_294_967_000, ssrc: 0xdeadbeef, marker: true }, Uint8Array.from([1, 2, 3]));
    const parsed = parseRtp(pkt)!;
    expect(parsed).toMatchObject({ payloadType: 111, sequenceNumber: 65535, timestamp: 4_294_967_000, ssrc: 0xdeadbeef, marker: true });
    expect(Array.from(parsed.payload)).toEqual([1, 2, 3]);
    // one CSRC, a 1-word header extension, 2 bytes of padding
    const b = Buffer.from([0xb1, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 7, 8, 0, 2]);
    expect(Array.from(parseRtp(b)!.payload)).toEqual([7, 8]);
  });

  it('rejects RTCP, other versions and truncated packets', () => {
    expect(parseRtp(Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // sender report
    expect(parseRtp(Buffer.from([0x40, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(parseRtp(Buffer.from([0x80, 111, 0]))).toBeUndefined();
    expect(parseRtp(Buffer.from([0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 9]))).toBeUndefined();
  });
});

describe('offerAudio', () => {
  it('finds the audio mid and the Opus payload type', () => {
    const sdp = ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:1', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:63 red/48000/2', ''].join('\r\n');
    expect(offerAudio(sdp)).toEqual({ mid: '0', opusPayloadType: 111 });
    expect(offerAudio('v=0\r\nm=application 9 x\r\na=mid:0\r\n')).toBeUndefined();
  });
});
