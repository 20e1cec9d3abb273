/**
 * Every message nodes exchange, by type: its payload and (for requests) its answer. The wire
 * form is `[type, requestId, fromNode, payload]` (NodeMesh); the types here are the one place
 * each payload is defined, so handlers read them without casts.
 */

/** Node to node (`NodeMesh.send` / `request` / `on`). */
export interface NodeMessages {
  /** a newer login of the user elsewhere: end the named session here (REMOTE_LOGIN) */
  kick: { payload: { appId: string; uid: string; sessionId: string }; answer: null };
  /** an operator (the web console) ends the named session here; false when it is not here */
  'end-session': { payload: { appId: string; uid: string; sessionId: string }; answer: boolean };
  /** a census question (NodeCensus): answer `q` of the asking node, with this node's answer `v` */
  'census.answer': { payload: { q: number; v: unknown }; answer: null };
  /** a client's farewell reached another node: end the named detached session if the token matches */
  farewell: {
    payload: { appId: string; uid: string; sessionId: string; resumeToken: string };
    answer: boolean;
  };
  /** a one-way event for a session here; false when there is none (the sender's route is stale) */
  deliver: { payload: { appId: string; uid: string; msg: Uint8Array }; answer: boolean };
  /** the user named has no session on the sender of this: forget the cached route */
  'route.gone': { payload: [appId: string, uid: string]; answer: null };
  /** a message waiting for its ack: the answer is whether the receiver acked it (null: no session) */
  peer: {
    payload: { appId: string; to: string; id: string; event: Uint8Array; stored?: boolean };
    answer: boolean | null;
  };
  /** a stored message to the user was not acked live: send what its offline inbox holds */
  'inbox.drain': { payload: [appId: string, uid: string]; answer: null };
  /** one PeersStatus event for local watcher sessions, `to` flat [uid, sessionId, …] */
  presence: { payload: { appId: string; msg: Uint8Array; to: string[] }; answer: null };
  /** an invitation's phase changed elsewhere: (re)arm its deadline on its owner node */
  'invitation-deadline': { payload: { appId: string; id: string; deadline: number }; answer: null };
}
export type NodeMessageType = keyof NodeMessages;
export type NodePayload<T extends NodeMessageType> = NodeMessages[T]['payload'];
export type NodeAnswer<T extends NodeMessageType> = NodeMessages[T]['answer'];
/** One node-to-node message: the discriminated union of all of them. */
export type NodeMessage = { [T in NodeMessageType]: { type: T; payload: NodePayload<T> } }[NodeMessageType];

/** On a shared topic (`NodeMesh.listen` / `publish`): a channel's, or the route cache's. */
export interface TopicMessages {
  /** encoded event bytes for every member on the receiving node except uid `x` */
  'ch.deliver': {
    a: string;
    c: string;
    /** uid that must not receive it (the sender), or null */
    x: string | null;
    /** message id (for de-duplication during a history replay), or null */
    i: string | null;
    b: Uint8Array;
  };
  /** `u` joined (`j`) or left the channel; `e`: send MemberJoined/MemberLeft */
  'ch.member': { a: string; c: string; u: string; j: boolean; e: boolean };
  /** one channel event as bytes for Signaling members (`s`) and for RTM members (`r`) */
  'sig.bykind': { a: string; c: string; s: Uint8Array; r: Uint8Array };
  /** a census (NodeCensus) from node `n`: every node answers question `k` (payload `p`) with 'census.answer' `q` */
  'census.ask': { n: string; q: number; k: string; p: unknown };
  /** the user logged in somewhere: every node forgets where its session was */
  claimed: [appId: string, uid: string];
}
export type TopicMessageType = keyof TopicMessages;
/** One topic message: the discriminated union of all of them. */
export type TopicMessage = {
  [T in TopicMessageType]: { type: T; payload: TopicMessages[T] };
}[TopicMessageType];
