/** How libdatachannel's refusals of an offer are told apart: the offer's fault (400) or ours (503). */
import { describe, expect, it } from 'vitest';
import { BadOfferError, PeerSetupError, remoteDescriptionError } from './network.js';

const PREFIX = 'libdatachannel error while adding remote description: ';

describe('remoteDescriptionError', () => {
  it.each([
    // Seen with every WEBRTC_PORT_RANGE port held by another socket.
    'Failed to gather local ICE candidates',
    'ICE transport initialization failed',
    'Connection is closed',
  ])('%s is ours: PeerSetupError (503, retryable)', (message) => {
    const err = remoteDescriptionError(PREFIX + message);
    expect(err).toBeInstanceOf(PeerSetupError);
    expect(err).toMatchObject({ code: 'peer_setup_failed', retryable: true, message: `could not set up the peer connection: ${PREFIX}${message}` });
  });

  it.each(['Remote description has no ICE user fragment', 'Remote description has no valid fingerprint', 'Remote description has no active media', 'Invalid SDP line'])(
    '%s is the offer’s: BadOfferError (400)',
    (message) => {
      const err = remoteDescriptionError(PREFIX + message);
      expect(err).toBeInstanceOf(BadOfferError);
      expect(err).toMatchObject({ code: 'bad_offer', message: `offer rejected: ${PREFIX}${message}` });
    },
  );
});
