import { Op, type PeerMessageEvent } from '@parley/protocol';
import type { Core } from '../core.js';
import { RecentIds } from './recent-ids.js';

/** ids and sender+keys of the last 4096 peer messages (two names each) */
const PEER_IDS_KEPT = 8192;

/**
 * The receiving end of peer messages, shared by both SDKs: every message is acknowledged (the
 * sender waits for the ack), and shown once even if the server re-delivers it (same id) or the
 * sender's SDK sent it again (same idempotency key, new id). The memory outlives re-logins: a
 * message re-delivered after a server crash lost its ack is still a duplicate.
 */
export class PeerInbox {
  private readonly seen = new RecentIds(PEER_IDS_KEPT);

  /** Acks `ev` on `core` (when there is one) and returns true if the app should see it. */
  accept(core: Core | null, ev: PeerMessageEvent): boolean {
    core?.notify(Op.PeerAck, { id: ev.id });
    return this.seen.addMessage(ev);
  }
}
