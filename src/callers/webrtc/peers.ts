/**
 * The WebRTC peer connections open in one server, owned by the composition root (`server.ts`)
 * and handed to the routes: each holds a UDP port until it is released, and shutdown releases
 * them all. No native imports: it knows peers only as things that can be destroyed.
 */

/** A peer connection as the registry sees it. */
export interface OpenPeer {
  /** Releases the peer connection at once (closes it and returns its port). */
  destroy(): void;
}

/** Open peer connections of one server. */
export class WebRtcPeers {
  private readonly open = new Set<OpenPeer>();

  /** Peer connections open now. */
  get size(): number {
    return this.open.size;
  }

  /** A peer connection was opened. */
  add(peer: OpenPeer): void {
    this.open.add(peer);
  }

  /** A peer connection was released. */
  delete(peer: OpenPeer): void {
    this.open.delete(peer);
  }

  /**
   * Closes every peer connection still open (server shutdown). An open connection keeps the
   * process alive; once all are closed it exits by itself. `nodeDataChannel.cleanup()` is not
   * called: it deadlocks while a connection is open and crashed the process (SIGSEGV) at exit after
   * browser sessions in our end-to-end test.
   */
  shutdown(): void {
    for (const peer of [...this.open]) peer.destroy();
  }
}
