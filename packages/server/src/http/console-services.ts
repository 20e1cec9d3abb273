import type { PeerOnlineState } from '@parley/protocol';
import type { ActivityType } from '../kernel/activity-feed.js';

/** What the console's tail shows: logins and session ends, joins and leaves, attribute writes, errors. */
export const TAILED: readonly ActivityType[] = [
  'user.online',
  'user.offline',
  'channel.member_joined',
  'channel.member_left',
  'channel.attributes_updated',
  'request.error',
];

/**
 * One node's counters, as /metrics has them (the same prom-client registry): the console
 * computes rates from two readings. Label value → count.
 */
export interface NodeStats {
  nodeId: string;
  /** the node's clock when read, ms */
  ts: number;
  connections: number;
  sessions: number;
  /** parley_logins_total by code ('0': logged in) */
  logins: Record<string, number>;
  /** parley_messages_in_total / parley_messages_out_total (deliveries) by kind */
  messagesIn: Record<string, number>;
  messagesOut: Record<string, number>;
  /** parley_errors_total summed over ops, by code */
  errors: Record<string, number>;
}

/** An app as the console lists it: configured (or seen, in development mode), sessions per node. */
export interface ConsoleApp {
  appId: string;
  /** a certificate is configured (tokens are required) */
  certificate: boolean;
  /** live sessions by node id */
  sessions: Record<string, number>;
}

export interface ConsoleUser {
  appId: string;
  uid: string;
  state: PeerOnlineState;
  /** the node holding the session (null: offline) */
  node: string | null;
  sessionId: string | null;
  channels: string[];
  attributes: Record<string, string>;
  /** how many users the session watches the online state of */
  subscriptions: number;
}

export interface ConsoleChannel {
  appId: string;
  channelId: string;
  members: string[];
  count: number;
  attributes: Array<{ key: string; value: string; lastUpdateUserId: string; lastUpdateTs: number }>;
  /** the store's recent history, oldest first (what a rejoining member replays) */
  history: Array<{ id: string; ts: number; from: string; text?: string; rawBytes?: number }>;
}

/** One activity event of some node, numbered per node (the tail's cursor). */
export interface ConsoleEvent {
  node: string;
  seq: number;
  type: string;
  ts: number;
  appId: string;
  /** the event's other fields (uid, channelId, count, cause, op, code, …) */
  [field: string]: unknown;
}

/** Where a tail reader is: the last seq seen per node. */
export type TailCursor = Record<string, number>;

/**
 * What the web console needs from the server (docs/console.md), beside the REST API's sends.
 * `scope` 'cluster' asks every node (NodeCensus); 'node' only this one.
 */
export interface ConsoleServices {
  /** constant-time check of the admin password */
  checkPassword(password: string): boolean;
  /** the key console session cookies are signed with (the same on every node with the same password) */
  readonly cookieSecret: string;
  readonly nodeId: string;
  overview(scope: 'node' | 'cluster'): Promise<NodeStats[]>;
  apps(): Promise<ConsoleApp[]>;
  user(appId: string, uid: string): Promise<ConsoleUser>;
  channel(appId: string, channelId: string): Promise<ConsoleChannel>;
  /** events after `cursor`, oldest first, and the cursor after them */
  events(
    cursor: TailCursor,
    scope: 'node' | 'cluster',
  ): Promise<{ events: ConsoleEvent[]; cursor: TailCursor }>;
  /** ends the user's session wherever it is (client: ABORTED / BANNED_BY_SERVER); false: offline */
  endSession(appId: string, uid: string): Promise<boolean>;
  /**
   * Deletes the named channel attributes (all of them for null) and tells the members
   * (AttributesUpdated); `operator` is recorded as the writer. Resolves with the keys left.
   */
  deleteChannelAttributes(
    appId: string,
    channelId: string,
    keys: string[] | null,
    operator: string,
  ): Promise<string[]>;
}
