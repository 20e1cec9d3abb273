import { Op, encodeEvent, type PeerMessageEvent, type PeerSendResponse } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { metric } from '../wire-client.js';

/**
 * Issue 13, item 3: only the session a peer message was delivered to may acknowledge it. Real
 * sockets, bare protocol clients: the receiver never acks by itself (as a paused process), a third
 * session sends the PeerAck with the message's id.
 */
const encodeAck = (id: string) => encodeEvent(Op.PeerAck, { id });

for (const mode of ['embedded', 'two nodes on Redis'] as const)
  describe(`forged peer acks (${mode})`, () => {
    let t: Awaited<ReturnType<typeof setup>>;
    const raws: RawClient[] = [];
    afterEach(async () => {
      for (const r of raws.splice(0)) r.close();
      await t?.cleanup();
    });

    /**
     * Sender on the first node; receiver and forger on the last (the node that delivers the message
     * and waits for its ack); a second forger on the sender's node.
     */
    const start = async () => {
      t = await setup({ rateLimits: false, peerAckTimeoutMs: 800, cluster: mode !== 'embedded' });
      const first = t.servers[0]!;
      const last = t.servers[t.servers.length - 1]!;
      const at = async (url: string, uid: string) => {
        const c = await RawClient.connect(url);
        raws.push(c);
        expect((await c.login({ appId: APP_ID, uid })).code).toBe(0);
        return c;
      };
      const sender = await at(first.wsUrl, 'alice');
      const receiver = await at(last.wsUrl, 'bob');
      const forger = await at(last.wsUrl, 'mallory');
      const farForger = await at(first.wsUrl, 'eve');
      return { sender, receiver, forger, farForger, last };
    };
    /** The next PeerMessage the receiver got (it does not ack). */
    const delivered = async (c: RawClient, n: number): Promise<PeerMessageEvent> => {
      const msgs = () => c.events.filter((e) => e.op === Op.PeerMessage);
      await until(() => msgs().length >= n, 5000, `peer message #${n}`);
      return msgs()[n - 1]!.body as PeerMessageEvent;
    };
    /** A request answered after everything the client sent before it was handled (one socket, in order). */
    const handled = (c: RawClient) => c.request(Op.QueryPeersOnline, { ids: ['x'] });
    const forgeries = (url: string) => metric(url, 'parley_forged_acks_total');

    it("a third session's ack does not make the sender see received (online, the receiver never acks)", async () => {
      const { sender, receiver, forger, farForger, last } = await start();
      const sending = sender.request<PeerSendResponse>(Op.PeerSend, {
        to: 'bob',
        msg: { type: 'TEXT', text: 'hi' },
      });
      const ev = await delivered(receiver, 1);
      forger.ws.send(encodeAck(ev.id));
      farForger.ws.send(encodeAck(ev.id));
      await handled(forger);
      await handled(farForger);
      const r = await sending;
      expect(r.code).toBe(0);
      expect(r.body).toMatchObject({ id: ev.id, received: false, cached: false });
      // Counted where the message waits for its ack; on another node the id names nothing.
      expect(await forgeries(last.url)).toBe(t.servers.length === 1 ? 2 : 1);
    });

    it("the receiver's own ack still counts (control)", async () => {
      const { sender, receiver, last } = await start();
      const sending = sender.request<PeerSendResponse>(Op.PeerSend, {
        to: 'bob',
        msg: { type: 'TEXT', text: 'hi' },
      });
      const ev = await delivered(receiver, 1);
      receiver.ws.send(encodeAck(ev.id));
      expect((await sending).body).toMatchObject({ id: ev.id, received: true, cached: false });
      expect(await forgeries(last.url)).toBe(0);
    });

    it('an offline message to a paused receiver stays cached, and stays stored, despite a forged ack', async () => {
      const { sender, receiver, forger, last } = await start();
      const sending = sender.request<PeerSendResponse>(Op.PeerSend, {
        to: 'bob',
        msg: { type: 'TEXT', text: 'kept' },
        offline: true,
      });
      const ev = await delivered(receiver, 1);
      forger.ws.send(encodeAck(ev.id));
      await handled(forger);
      expect((await sending).body).toMatchObject({ id: ev.id, received: false, cached: true });
      expect(await forgeries(last.url)).toBe(1);
      // The forged ack removed nothing: bob's next login gets the message from the inbox.
      receiver.close();
      const again = await RawClient.connect(last.wsUrl);
      raws.push(again);
      expect((await again.login({ appId: APP_ID, uid: 'bob' })).code).toBe(0);
      const stored = await delivered(again, 1);
      expect(stored).toMatchObject({ id: ev.id, offline: true, msg: { text: 'kept' } });
    });

    it('message ids are not guessable: each ends in 72 random bits', async () => {
      const { sender, receiver } = await start();
      const ids: string[] = [];
      for (let i = 1; i <= 3; i++) {
        const sending = sender.request(Op.PeerSend, { to: 'bob', msg: { type: 'TEXT', text: String(i) } });
        const ev = await delivered(receiver, i);
        receiver.ws.send(encodeAck(ev.id));
        await sending;
        ids.push(ev.id);
      }
      const tails = ids.map((id) => /\.([\w-]{12})$/.exec(id)?.[1]);
      expect(tails.every((x) => x !== undefined)).toBe(true);
      expect(new Set(tails).size).toBe(3);
    });
  });
