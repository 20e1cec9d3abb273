import {
  Op,
  PeerMessageError,
  RequestOps,
  checkWireMessage,
  isObj,
  isStr,
  isValidUserId,
  normalizeWireMessage,
  type PeerSendResponse,
  type WireMessage,
} from '@parley/protocol';
import { crashPoint } from '../../crash-points.js';
import type { Feature, FeatureContext } from '../context.js';
import { fail, limited, malformed, ok, type Reply } from '../registry.js';
import type { OfflineRefused } from '../../delivery/peer-delivery.js';
import { sendBudget } from '../send-budget.js';

const sendReply = (r: PeerSendResponse | OfflineRefused | null): Reply => {
  if (!r) return fail(PeerMessageError.FAILURE);
  if (!('refused' in r)) return ok(r);
  // The sender's own allowance: "too often", and a strike against its socket like other limits.
  if (r.refused === 'offline_sender_hourly')
    return limited(PeerMessageError.TOO_OFTEN, { message: 'offline messages per hour exceeded' });
  return fail(PeerMessageError.FAILURE, { message: 'offline storage of this app is full' });
};

/**
 * Peer-to-peer messages: stamped with an id and serverReceivedTs, delivered to the peer's session
 * wherever it lives, answered `received: true` once the peer's SDK acknowledged them.
 *
 * Offline messages (`offline: true`, Agora 1.4.x enableOfflineMessaging) are written to the
 * offline inbox BEFORE anything else happens to them, then delivered live if the peer has a
 * session. The inbox copy goes when the peer's SDK acks; otherwise it waits for the peer's next
 * login (sessionReady). So a message the sender was told about is either acked by the peer's
 * SDK (`received: true`) or stored durably (`cached: true`), never neither.
 */
/** What the peer feature uses of the context. */
type Needs = 'config' | 'log' | 'metrics' | 'peers' | 'registry' | 'store' | 'users';

export const peerFeature: Feature<Needs> = {
  name: 'peer',
  register(ctx: Pick<FeatureContext, Needs>) {
    const delivery = ctx.peers;
    const { acks, receiver } = ctx.users;

    ctx.registry.request('peer', RequestOps.PeerSend, (s, body): Reply | Promise<Reply> => {
      if (!isValidUserId(body.to)) return fail(PeerMessageError.INVALID_USERID);
      const problem = checkWireMessage(body.msg, s.limits.messageBytes);
      if (problem === 'invalid')
        return malformed(
          PeerMessageError.INVALID_MESSAGE,
          'PeerSend msg: { type: TEXT, text } or { type: RAW, raw: bytes, description? }',
        );
      if (problem) return fail(PeerMessageError.INVALID_MESSAGE);
      if (!sendBudget(s)) return fail(PeerMessageError.TOO_OFTEN);
      const msg = normalizeWireMessage(body.msg as WireMessage);
      // Not an async handler: one promise less per message (the answer waits for the peer's ack).
      const key = body.key ?? undefined;
      return delivery
        .send(s, s.appId, s.uid, body.to, msg, body.offline === true, key, body.historical === true)
        .then(sendReply);
    });

    ctx.registry.onClientEvent('peer', Op.PeerAck, (s, body) => {
      crashPoint('peer-ack');
      if (!isObj(body) || !isStr(body.id)) return;
      // Only the session a message was delivered to may acknowledge it (forged: counted, ignored).
      if (acks.ack(body.id, s) === 'forged') ctx.metrics.forgedAcks.inc();
      // Removes the inbox copy only if `id` was delivered to this very session.
      receiver.acked(s, body.id);
    });

    ctx.registry.hook('sessionReady', (s) => receiver.drain(s));

    let purgeTimer: NodeJS.Timeout | null = null;
    const purge = () => {
      void ctx.store.offline
        .purge(Date.now() - ctx.config.offlineTtlMs)
        .then((n) => {
          if (n === 0) return;
          // Never acked by their receivers: dropped although their senders were told `cached`.
          ctx.metrics.offlineDropped.inc({ reason: 'expired' }, n);
          ctx.log.info({ purged: n }, 'expired offline messages purged');
        })
        .catch((e) => ctx.log.error({ err: e }, 'offline purge failed'));
      void ctx.store.offline
        .purgeKeys(Date.now() - ctx.config.sendKeyTtlMs)
        .catch((e) => ctx.log.error({ err: e }, 'idempotency key purge failed'));
    };
    ctx.registry.hook('onReady', () => {
      purge();
      purgeTimer = setInterval(purge, Math.max(1000, Math.min(ctx.config.offlineTtlMs, 60_000)));
      purgeTimer.unref();
    });
    // Shutdown: let messages in flight get their answer before the sessions end, so SDKs do not
    // send them again to the next server (bounded: receivers that do not ack time out anyway).
    ctx.registry.hook('preClose', () => acks.drain(Math.min(2000, ctx.config.peerAckTimeoutMs)));
    ctx.registry.hook('onClose', () => {
      if (purgeTimer) clearInterval(purgeTimer);
      acks.close();
    });
  },
};
