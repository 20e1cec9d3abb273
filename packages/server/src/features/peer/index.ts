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
import { fail, ok, type Reply } from '../registry.js';
import type { Session } from '../../session/session.js';
import { AckTracker } from './ack-tracker.js';
import { sendBudget } from '../send-budget.js';

/**
 * Peer-to-peer messages: stamped with an id and serverReceivedTs, delivered to the peer's session
 * wherever it lives, answered `received: true` once the peer's SDK acknowledged them.
 */
export const peerFeature: Feature = {
  name: 'peer',
  register(ctx: FeatureContext) {
    const acks = new AckTracker(ctx.config.peerAckTimeoutMs);
    let seq = 0;
    const newId = () => `${ctx.config.nodeId}.${(++seq).toString(36)}`;

    /** Delivers to a session on this node and waits for its SDK's ack. */
    const deliverLocal = (target: Session, id: string, event: Uint8Array): Promise<boolean> => {
      const p = acks.wait(id);
      target.send(event);
      ctx.metrics.messagesOut.inc({ kind: 'peer' });
      return p;
    };

    ctx.mesh.on('peer', (p) => {
      const { appId, to, id, event } = p as { appId: string; to: string; id: string; event: Uint8Array };
      const target = ctx.sessions.local(appId, to);
      return target ? deliverLocal(target, id, event) : null;
    });

    ctx.registry.handle('peer', Op.PeerSend, async (s, body): Promise<Reply> => {
      if (!isObj(body) || !isStr(body.to) || !optBool(body.offline)) return fail(PeerMessageError.INVALID_MESSAGE);
      if (!isValidUserId(body.to)) return fail(PeerMessageError.INVALID_USERID);
      if (checkWireMessage(body.msg, s.limits.messageBytes)) return fail(PeerMessageError.INVALID_MESSAGE);
      if (!sendBudget(s)) return fail(PeerMessageError.TOO_OFTEN);
      ctx.metrics.messagesIn.inc({ kind: 'peer' });
      const id = newId();
      const ts = Date.now();
      const msg = normalizeWireMessage(body.msg as WireMessage);
      const ev: PeerMessageEvent = { id, from: s.uid, msg, ts };
      const event = encodeEvent(Op.PeerMessage, ev);
      const done = (received: boolean, cached = false) => ok({ id, ts, received, cached } satisfies PeerSendResponse);

      // Local target: no await before delivery, so sends from one client stay in order.
      const local = ctx.sessions.local(s.appId, body.to);
      if (local) return done(await deliverLocal(local, id, event));
      const rec = await ctx.store.sessions.lookup(s.appId, body.to);
      if (rec && rec.nodeId !== ctx.config.nodeId) {
        const r = await ctx.mesh
          .request<boolean | null>(rec.nodeId, 'peer', { appId: s.appId, to: body.to, id, event }, ctx.config.peerAckTimeoutMs + 2000)
          .catch(() => false);
        if (r !== null) return done(r);
      }
      return done(false);
    });

    ctx.registry.onClientEvent('peer', Op.PeerAck, (_s, body) => {
      if (isObj(body) && isStr(body.id)) acks.ack(body.id);
    });

    ctx.registry.hook('onClose', () => acks.close());
  },
};
