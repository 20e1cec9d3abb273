import type { Operations, Outcome } from './operations.js';

/** What `invoke` answers: `err` ('' on success) and the response object (sent as JSON). */
export interface InvokeResult {
  err: string;
  resp: Record<string, unknown>;
}
type Fn = (ops: Operations, req: Record<string, unknown>) => Promise<InvokeResult>;

const PREFIX = 'io.agora.signal.';
/** Signaling's default `num` of channel_query_userlist_all (spec signaling-api.md §1.7). */
const USERLIST_ALL_DEFAULT = 1000 * 1000;

function answer<T>(o: Outcome<T>, fields: (v: T) => Record<string, unknown> = () => ({})): InvokeResult {
  if (!o.ok) return { err: o.err, resp: { result: o.err } };
  return { err: '', resp: { result: 'ok', ...fields(o.value) } };
}

/** Channel queries name the channel `name`; channel attribute calls name it `channel` (Signaling's spelling). */
const FUNCTIONS: Record<string, Fn> = {
  user_query_user_status: async (ops, q) =>
    answer(await ops.userStatus(q.account), (online) => ({ status: online ? 1 : 0 })),
  user_set_attr: async (ops, q) => answer(await ops.setUserAttr(q.name, q.value)),
  user_get_attr: async (ops, q) => answer(await ops.getUserAttr(q.account, q.name), (value) => ({ value })),
  user_get_attr_all: async (ops, q) =>
    // Signaling's samples read `json` (a JSON string of the attribute map); `value` holds the same.
    answer(await ops.getUserAttrAll(q.account), (json) => ({ json, value: json })),
  channel_query_num: async (ops, q) => answer(await ops.channelNum(q.name), (num) => ({ num })),
  channel_query_user_isin: async (ops, q) =>
    answer(await ops.channelIsIn(q.name, q.account), (isIn) => ({ isin: isIn ? 1 : 0 })),
  channel_query_userlist: async (ops, q) =>
    answer(await ops.channelUserList(q.name), (r) => ({ num: r.num, list: r.list.map((a) => [a, 0]) })),
  channel_query_userlist_all: async (ops, q) => {
    const num = q.num === undefined ? USERLIST_ALL_DEFAULT : q.num;
    if (typeof num !== 'number') return answer({ ok: false, ecode: 1004, err: 'wrong_param' });
    return answer(await ops.channelUserList(q.name, num), (r) => ({
      num: r.num,
      list: r.list.map((a) => [a, 0]),
    }));
  },
  channel_set_attr: async (ops, q) => answer(await ops.channelAttr(q.channel, 'update', q.name, q.value)),
  channel_del_attr: async (ops, q) => answer(await ops.channelAttr(q.channel, 'del', q.name)),
  channel_clear_attr: async (ops, q) => answer(await ops.channelAttr(q.channel, 'clear')),
};

/** The documented `invoke` functions (spec signaling-api.md §1.7), full names. */
export const INVOKE_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS).map((f) => PREFIX + f);

/**
 * Runs `io.agora.signal.<function>` with its request (a JSON string, or an object as on Web).
 * Anything else answers an error, never silence: `unknown_function`, `wrong_param` (request not a
 * JSON object).
 */
export async function runInvoke(ops: Operations, name: unknown, req: unknown): Promise<InvokeResult> {
  const f = typeof name === 'string' && name.startsWith(PREFIX) ? name.slice(PREFIX.length) : '';
  const fn = Object.hasOwn(FUNCTIONS, f) ? FUNCTIONS[f] : undefined;
  if (!fn) return { err: 'unknown_function', resp: { result: 'unknown_function' } };
  let q: unknown = req;
  if (typeof req === 'string') {
    try {
      q = req === '' ? {} : JSON.parse(req);
    } catch {
      q = null;
    }
  }
  if (typeof q !== 'object' || q === null || Array.isArray(q))
    return { err: 'wrong_param', resp: { result: 'wrong_param' } };
  return fn(ops, q as Record<string, unknown>);
}
