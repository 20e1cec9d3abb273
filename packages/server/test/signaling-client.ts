import { AgoraAPIOnlySignal, type ICallBack, type SignalingOptions } from '@parley/signaling';
import type { ParleyServer } from '@parley/server/testing';
import { APP_ID, until } from './helpers.js';

/** One callback call: its name and arguments. */
export type Call = [name: keyof ICallBack, ...args: unknown[]];

/**
 * A real `@parley/signaling` instance whose every callback is recorded in `log`, in order, so
 * tests wait for callbacks (`wait`) and check their order without timing anything.
 */
export interface SigClient {
  api: AgoraAPIOnlySignal;
  log: Call[];
  /** the calls of callback `name` so far (their arguments) */
  calls(name: keyof ICallBack): unknown[][];
  /** waits for the first call of `name` (the n-th with `nth`) whose arguments satisfy `pred`; returns them */
  wait(name: keyof ICallBack, pred?: (...args: unknown[]) => boolean, ms?: number): Promise<unknown[]>;
  /** waits until `name` has been called `n` times */
  waitCount(name: keyof ICallBack, n: number, ms?: number): Promise<unknown[][]>;
  /** index in `log` of the first call of `name` matching `pred` (-1 if none) */
  index(name: keyof ICallBack, pred?: (...args: unknown[]) => boolean): number;
  /** logs in with `_no_need_token` (or `token`) and waits for onLoginSuccess */
  login(account: string, token?: string): Promise<void>;
}

const any = () => true;

/** Wraps an instance: records callbacks into a log. */
export function record(api: AgoraAPIOnlySignal): SigClient {
  const log: Call[] = [];
  const recorder = new Proxy({} as ICallBack, {
    get: (_t, name) =>
      typeof name === 'string'
        ? (...args: unknown[]) => log.push([name as keyof ICallBack, ...args])
        : undefined,
  });
  api.callbackSet(recorder);
  const matching = (name: keyof ICallBack, pred: (...args: unknown[]) => boolean) =>
    log.filter((e) => e[0] === name && pred(...e.slice(1))).map((e) => e.slice(1));
  const c: SigClient = {
    api,
    log,
    calls: (name) => matching(name, any),
    async wait(name, pred = any, ms = 5000) {
      await until(
        () => matching(name, pred).length > 0,
        ms,
        `${name} ${pred === any ? '' : pred.toString()}`,
      );
      return matching(name, pred)[0]!;
    },
    async waitCount(name, n, ms = 5000) {
      await until(() => matching(name, any).length >= n, ms, `${n} × ${name}`);
      return matching(name, any);
    },
    index: (name, pred = any) => log.findIndex((e) => e[0] === name && pred(...e.slice(1))),
    async login(account, token = '_no_need_token') {
      const before = matching('onLoginSuccess', any).length;
      api.login(APP_ID, account, token, 0, '');
      await until(
        () => matching('onLoginSuccess', any).length > before || matching('onLoginFailed', any).length > 0,
        8000,
        `login of ${account}`,
      );
      const failed = matching('onLoginFailed', any);
      if (failed.length > 0) throw new Error(`login of ${account} failed: ${failed[0]![0]}`);
    },
  };
  return c;
}

/**
 * A factory of Signaling clients on the servers of a `setup()`: round-robin over the nodes starting
 * at the second one, so that in multi-node setups the first Signaling client and the first RTM
 * client (helpers.ts starts at the first node) are on different nodes. `cleanup()` destroys them.
 */
export function signalingClients(servers: ParleyServer[]) {
  const made: SigClient[] = [];
  let n = 1;
  const create = (opts: Partial<SignalingOptions> = {}, appId = APP_ID): SigClient => {
    const node = servers[n++ % servers.length]!;
    const c = record(AgoraAPIOnlySignal.createAgoraSDKInstance(appId, { serverUrl: node.wsUrl, ...opts }));
    made.push(c);
    return c;
  };
  const login = async (account: string, opts: Partial<SignalingOptions> = {}): Promise<SigClient> => {
    const c = create(opts);
    await c.login(account);
    return c;
  };
  const cleanup = () => {
    for (const c of made) c.api.destroy();
  };
  return { create, login, cleanup };
}
