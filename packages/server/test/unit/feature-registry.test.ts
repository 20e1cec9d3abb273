import { describe, expect, it } from 'vitest';
import { PeerMessageError, RequestOps } from '@parley/protocol';
import type { ClientSession } from '../../src/features/client-session.js';
import { FeatureRegistry, RegistryError, ok } from '../../src/features/registry.js';

const noop = () => ok();

describe('feature registry', () => {
  it('refuses a second handler for an op, whichever kind registered it first', () => {
    const r = new FeatureRegistry();
    r.handle('peer', 1, noop);
    expect(() => r.handle('other', 1, noop)).toThrow(RegistryError);
    expect(() => r.handle('other', 1, noop)).toThrow(expect.objectContaining({ code: 'DUPLICATE_OP' }));
    expect(() => r.onClientEvent('other', 1, () => undefined)).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_OP' }),
    );
    r.onClientEvent('peer', 2, () => undefined);
    expect(() => r.handle('other', 2, noop)).toThrow(expect.objectContaining({ code: 'DUPLICATE_OP' }));
    // the first registration stays
    expect(r.requests.get(1)?.feature).toBe('peer');
    expect(r.events.get(2)?.feature).toBe('peer');
  });

  it('refuses an unknown hook name and a handler that is not a function', () => {
    const r = new FeatureRegistry();
    const hook = r.hook as (name: string, fn: unknown) => void;
    expect(() => hook.call(r, 'sessionBegin', () => undefined)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_HOOK' }),
    );
    expect(() => hook.call(r, 'onClose', 'not a function')).toThrow(
      expect.objectContaining({ code: 'BAD_HANDLER' }),
    );
    const handle = r.handle as (f: string, op: number, fn: unknown) => void;
    expect(() => handle.call(r, 'peer', 3, null)).toThrow(expect.objectContaining({ code: 'BAD_HANDLER' }));
  });

  it('runs start-up hooks in registration order and teardown hooks in reverse', async () => {
    const r = new FeatureRegistry();
    const order: string[] = [];
    for (const f of ['a', 'b', 'c']) {
      r.hook('onReady', () => void order.push(`ready ${f}`));
      r.hook('preClose', () => void order.push(`preClose ${f}`));
      r.hook('onClose', () => void order.push(`close ${f}`));
      r.hook('sessionStart', () => void order.push(`start ${f}`));
      r.hook('sessionEnd', () => void order.push(`end ${f}`));
    }
    await r.run('onReady');
    await r.run('sessionStart', {});
    await r.run('sessionEnd', {}, 'LOGOUT');
    await r.run('preClose');
    await r.run('onClose');
    expect(order).toEqual([
      'ready a',
      'ready b',
      'ready c',
      'start a',
      'start b',
      'start c',
      // a feature set up later is torn down first (it may use what earlier ones set up)
      'end c',
      'end b',
      'end a',
      'preClose a',
      'preClose b',
      'preClose c',
      'close c',
      'close b',
      'close a',
    ]);
  });

  it('waits for each async hook before the next', async () => {
    const r = new FeatureRegistry();
    const order: string[] = [];
    const later = (name: string) => async () => {
      await new Promise((res) => setImmediate(res));
      order.push(name);
    };
    r.hook('onClose', later('first registered'));
    r.hook('onClose', () => void order.push('second registered'));
    r.hook('onClose', later('third registered'));
    await r.run('onClose');
    expect(order).toEqual(['third registered', 'second registered', 'first registered']);
  });

  it("answers a body its op decoder refuses with the op's code and reason, without calling the handler", async () => {
    const r = new FeatureRegistry();
    const seen: unknown[] = [];
    r.request('peer', RequestOps.PeerSend, (_s, body) => {
      seen.push(body.to);
      return ok();
    });
    const fn = r.requests.get(RequestOps.PeerSend.op)!.fn;
    const s = {} as ClientSession;
    expect(await fn(s, { to: 42, msg: null })).toEqual({
      code: PeerMessageError.INVALID_MESSAGE,
      malformed:
        'PeerSend body: { to: string, msg, offline?: boolean, historical?: boolean, key?: 1-64 printable ASCII characters }',
    });
    expect(seen).toEqual([]);
    expect(await fn(s, { to: 'bob', msg: null })).toEqual(ok());
    expect(seen).toEqual(['bob']);
  });
});
