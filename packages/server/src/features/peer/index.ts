import {
  Op,
  PeerMessageError,
  checkWireMessage,
  encodeEvent,
  isObj,
  isStr,
  isValidUserId,
  normalizeWireMessage,
  optBool,
  type PeerMessageEvent,
  type PeerSendResponse,
  type WireMessage,
} from '@parley/protocol';
import type { Feature, FeatureContext } from '../context.js';
import { fail, malformed, ok, type Reply } from '../registry.js';
import type { Session } from '../../session/session.js';
import { AckTracker } from './ack-tracker.js';
import { PeerReceiver, type HandOff } from './receiver.js';
import { sendBudget } from '../send-budget.js';

/** Mesh payload of a peer message for a session on another node. */
interface PeerHop {
  appId: string;
  to: string;
  id: string;
  event: Uint8Array;
  /** also in the offline inbox: the receiver's ack removes it there */
  stored?: boolean;
}

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
export const peerFeature: Feature = {
  name: 'peer',
  register(ctx: FeatureContext) {
    const acks = new AckTracker(ctx.config.peerAckTimeoutMs);
    const receiver = new PeerReceiver(ctx, acks);
    // Ids must stay unique across restarts of a node with a fixed --node-id: SDKs drop ids they saw.
    const boot = Date.now().toString(36);
    let seq = 0;
    const newId = () => `${ctx.config.nodeId}.${boot}.${(++seq).toString(36)}`;
    /**
     * Per sender: the hand-off of its last offline message still waiting for its commit. Later
     * messages of that sender queue behind it, so send order holds across the commit wait.
     */
    const senderTail = new WeakMap<Session, Promise<unknown>>();

    /**
     * Hands a message to the receiver's session, on this node or another. The local path has no
     * await before the write, so messages of one sender keep their order.
     */
    const handOff = async (
      appId: string,
      to: string,
      id: string,
      event: Uint8Array,
      stored: boolean,
    ): Promise<HandOff> => {
      const local = ctx.sessions.local(appId, to);
      if (local) return receiver.deliver(local, id, event, stored);
      const rec = await ctx.store.sessions.lookup(appId, to);
      if (!rec || rec.nodeId === ctx.config.nodeId) return { acked: Promise.resolve(false) };
      const hop: PeerHop = { appId, to, id, event, stored: stored || undefined };
      const acked = ctx.mesh
        .request<boolean | null>(rec.nodeId, 'peer', hop, ctx.config.peerAckTimeoutMs + 2000)
        .then((r) => r === true)
        .catch(() => false);
      return { acked };
    };

    ctx.mesh.on('peer', (p) => {
      const { appId, to, id, event, stored } = p as PeerHop;
      const target = ctx.sessions.local(appId, to);
      if (!target) return null;
      return Promise.resolve(receiver.deliver(target, id, event, stored === true)).then((h) => h.acked);
    });

    ctx.registry.handle('peer', Op.PeerSend, async (s, body): Promise<Reply> => {
      if (!isObj(body) || !isStr(body.to) || !optBool(body.offline))
        return malformed(
          PeerMessageError.INVALID_MESSAGE,
          'PeerSend body: { to: string, msg, offline?: boolean }',
        );
      if (!isValidUserId(body.to)) return fail(PeerMessageError.INVALID_USERID);
      const problem = checkWireMessage(body.msg, s.limits.messageBytes);
      if (problem === 'invalid')
        return malformed(
          PeerMessageError.INVALID_MESSAGE,
          'PeerSend msg: { type: TEXT, text } or { type: RAW, raw: bytes, description? }',
        );
      if (problem) return fail(PeerMessageError.INVALID_MESSAGE);
      if (!sendBudget(s)) return fail(PeerMessageError.TOO_OFTEN);
      ctx.metrics.messagesIn.inc({ kind: 'peer' });
      const to = body.to;
      const id = newId();
      const ts = Date.now();
      const msg = normalizeWireMessage(body.msg as WireMessage);
      const ev: PeerMessageEvent = { id, from: s.uid, msg, ts };
      const event = encodeEvent(Op.PeerMessage, ev);
      const tail = senderTail.get(s);

      if (body.offline !== true) {
        // Common case first: a local receiver and nothing to wait for, written synchronously.
        const local = tail ? undefined : ctx.sessions.local(s.appId, to);
        let h = local
          ? receiver.deliver(local, id, event, false)
          : tail
            ? tail.then(() => handOff(s.appId, to, id, event, false))
            : handOff(s.appId, to, id, event, false);
        if (h instanceof Promise) h = await h;
        return ok({ id, ts, received: await h.acked, cached: false } satisfies PeerSendResponse);
      }

      // Stored first; `put` is called now (not after an await) so the inbox keeps send order.
      const stored = encodeEvent(Op.PeerMessage, { ...ev, offline: true } satisfies PeerMessageEvent);
      const committed = ctx.store.offline.put(
        s.appId,
        to,
        { id, from: s.uid, ts, event: stored },
        ctx.config.offlineMaxPerUser,
      );
      const handed = (tail ? tail.then(() => committed) : committed).then(() =>
        handOff(s.appId, to, id, event, true),
      );
      const settled = handed.catch(() => undefined);
      senderTail.set(s, settled);
      void settled.then(() => {
        if (senderTail.get(s) === settled) senderTail.delete(s);
      });
      let h: HandOff;
      try {
        h = await handed;
      } catch (e) {
        ctx.log.error({ err: e }, 'offline message could not be stored');
        return fail(PeerMessageError.FAILURE);
      }
      const received = await h.acked;
      return ok({ id, ts, received, cached: !received } satisfies PeerSendResponse);
    });

    ctx.registry.onClientEvent('peer', Op.PeerAck, (s, body) => {
      if (!isObj(body) || !isStr(body.id)) return;
      acks.ack(body.id);
      receiver.acked(s, body.id);
    });

    ctx.registry.hook('sessionReady', (s) => receiver.drain(s));

    let purgeTimer: NodeJS.Timeout | null = null;
    const purge = () =>
      void ctx.store.offline
        .purge(Date.now() - ctx.config.offlineTtlMs)
        .then((n) => n > 0 && ctx.log.info({ purged: n }, 'expired offline messages purged'))
        .catch((e) => ctx.log.error({ err: e }, 'offline purge failed'));
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
