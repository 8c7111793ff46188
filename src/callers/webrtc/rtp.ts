/**
 * Pure RTP helpers for the WebRTC caller (RFC 3550 §5.1). node-datachannel hands the track's
 * decrypted RTP *and* RTCP packets to one callback (webrtc.md §1.1), so RTCP (payload types
 * 200–207, which appear as 72–79 in the 7-bit field when multiplexed, RFC 5761) is filtered out.
 */

/** A parsed RTP packet; `payload` is a view into the input buffer. */
export interface RtpPacket {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Uint8Array;
}

/** Parses an RTP packet; undefined for RTCP, a wrong version, or a malformed packet. Never throws. */
export function parseRtp(buf: Uint8Array): RtpPacket | undefined {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return undefined;
  const payloadType = buf[1] & 0x7f;
  if (payloadType >= 72 && payloadType <= 79) return undefined; // RTCP multiplexed on the same transport
  const csrcCount = buf[0] & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (buf[0] & 0x10) {
    if (buf.length < offset + 4) return undefined;
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += 4 + words * 4;
  }
  let end = buf.length;
  if (buf[0] & 0x20) end -= buf[buf.length - 1];
  if (offset > end) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    payloadType,
    marker: (buf[1] & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: buf.subarray(offset, end),
  };
}

/** Builds a 12-byte-header RTP packet (version 2, no CSRC, no extension, no padding). */
export function buildRtp(p: Omit<RtpPacket, 'payload'>, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + payload.length);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  out.set(payload, 12);
  return out;
}

/** The audio section of an SDP offer: its `mid` and the Opus payload type. */
export interface OfferAudio {
  mid: string;
  opusPayloadType: number;
}

/**
 * Finds the first audio m-section of an SDP offer, its `a=mid` and its `opus/48000/2` payload type.
 * Undefined when the offer has no audio section with Opus.
 */
export function offerAudio(sdp: string): OfferAudio | undefined {
  const sections = sdp.split(/\r?\n(?=m=)/);
  for (const s of sections) {
    if (!s.startsWith('m=audio')) continue;
    const mid = /\r?\na=mid:(\S+)/.exec(s)?.[1];
    const pt = /\r?\na=rtpmap:(\d+) opus\/48000(?:\/2)?/i.exec(s)?.[1];
    if (mid !== undefined && pt !== undefined) return { mid, opusPayloadType: Number(pt) };
  }
  return undefined;
}
