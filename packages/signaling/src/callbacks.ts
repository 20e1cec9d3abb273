/**
 * The callbacks of Agora's legacy Signaling SDK for Java (`IAgoraAPI.ICallBack`, SDK 1.2+; spec
 * signaling-api.md §2.2), with the same names and arguments. `uid` arguments are always 0 (Signaling
 * numeric uids have no meaning in Parley; the account is the identity). Every one is optional:
 * pass an object with the ones you need to `callbackSet`, or extend {@link CallBack}.
 */
export interface ICallBack {
  /** the link dropped after login; `nretry` is the number of the reconnection attempt (1, 2, …) */
  onReconnecting(nretry: number): void;
  /** the link is back (the session resumed, or a new one replaced it); `fd` is always 0 */
  onReconnected(fd: number): void;
  /** `uid` is the one passed to login (normally 0); `fd` is always 0 */
  onLoginSuccess(uid: number, fd: number): void;
  /** `ecode`: LOGOUT_E_* (101 user, 102 network / retry limit, 103 kicked, 105 token expired, 108 already logged out) */
  onLogout(ecode: number): void;
  /** `ecode`: LOGIN_E_* (201 network, 202 refused, 204 token expired, 206 token wrong, 209 invalid account) */
  onLoginFailed(ecode: number): void;
  onChannelJoined(channelID: string): void;
  onChannelJoinFailed(channelID: string, ecode: number): void;
  onChannelLeaved(channelID: string, ecode: number): void;
  onChannelUserJoined(account: string, uid: number): void;
  onChannelUserLeaved(account: string, uid: number): void;
  /** right after onChannelJoined: the latest ≤ 200 members, the joiner included */
  onChannelUserList(accounts: string[], uids: number[]): void;
  onChannelQueryUserNumResult(channelID: string, ecode: number, num: number): void;
  onChannelQueryUserIsIn(channelID: string, account: string, isIn: number): void;
  /** `type`: 'update' | 'del' | 'clear' (name and value '' for clear, value '' for del) */
  onChannelAttrUpdated(channelID: string, name: string, value: string, type: string): void;
  onInviteReceived(channelID: string, account: string, uid: number, extra: string): void;
  onInviteReceivedByPeer(channelID: string, account: string, uid: number): void;
  onInviteAcceptedByPeer(channelID: string, account: string, uid: number, extra: string): void;
  onInviteRefusedByPeer(channelID: string, account: string, uid: number, extra: string): void;
  /** `ecode`: INVITE_E_*; `extra`: JSON `{"reason": "<RTM failure reason>"}` */
  onInviteFailed(channelID: string, account: string, uid: number, ecode: number, extra: string): void;
  onInviteEndByPeer(channelID: string, account: string, uid: number, extra: string): void;
  onInviteEndByMyself(channelID: string, account: string, uid: number): void;
  /** DTMF: `msgType` 'dtmf', `msgData` the digits, `extra` `{"msgtype":"dtmf","msgdata":"…"}` */
  onInviteMsg(
    channelID: string,
    account: string,
    uid: number,
    msgType: string,
    msgData: string,
    extra: string,
  ): void;
  onMessageSendError(messageID: string, ecode: number): void;
  onMessageSendSuccess(messageID: string): void;
  onMessageInstantReceive(account: string, uid: number, msg: string): void;
  onMessageChannelReceive(channelID: string, account: string, uid: number, msg: string): void;
  onLog(txt: string): void;
  /** `err` '' on success; `resp` is a JSON string (`{"result":"ok",…}`, or `{"result":"<err>"}`) */
  onInvokeRet(callID: string, err: string, resp: string): void;
  onUserAttrResult(account: string, name: string, value: string): void;
  /** `value`: JSON object of all the user's attributes */
  onUserAttrAllResult(account: string, value: string): void;
  /** `ecode`: GENERAL_E_* (1001 failed, 1003 not logged in, 1004 wrong parameter, 1005 too large) */
  onError(name: string, ecode: number, desc: string): void;
  /** `status`: '1' online, '0' offline */
  onQueryUserStatusResult(name: string, status: string): void;
}

/** What `callbackSet` takes: any subset of the callbacks. */
export type Callbacks = Partial<ICallBack>;

/**
 * The adapter of Agora's samples (`new AgoraAPI.CallBack() { @Override … }`): every callback does
 * nothing; extend it and override what you need.
 *
 * @example
 * api.callbackSet(new (class extends AgoraAPI.CallBack {
 *   override onLoginSuccess(uid: number, fd: number) { api.channelJoin('room1'); }
 * })());
 */
export class CallBack implements ICallBack {
  onReconnecting(_nretry: number): void {}
  onReconnected(_fd: number): void {}
  onLoginSuccess(_uid: number, _fd: number): void {}
  onLogout(_ecode: number): void {}
  onLoginFailed(_ecode: number): void {}
  onChannelJoined(_channelID: string): void {}
  onChannelJoinFailed(_channelID: string, _ecode: number): void {}
  onChannelLeaved(_channelID: string, _ecode: number): void {}
  onChannelUserJoined(_account: string, _uid: number): void {}
  onChannelUserLeaved(_account: string, _uid: number): void {}
  onChannelUserList(_accounts: string[], _uids: number[]): void {}
  onChannelQueryUserNumResult(_channelID: string, _ecode: number, _num: number): void {}
  onChannelQueryUserIsIn(_channelID: string, _account: string, _isIn: number): void {}
  onChannelAttrUpdated(_channelID: string, _name: string, _value: string, _type: string): void {}
  onInviteReceived(_channelID: string, _account: string, _uid: number, _extra: string): void {}
  onInviteReceivedByPeer(_channelID: string, _account: string, _uid: number): void {}
  onInviteAcceptedByPeer(_channelID: string, _account: string, _uid: number, _extra: string): void {}
  onInviteRefusedByPeer(_channelID: string, _account: string, _uid: number, _extra: string): void {}
  onInviteFailed(_channelID: string, _account: string, _uid: number, _ecode: number, _extra: string): void {}
  onInviteEndByPeer(_channelID: string, _account: string, _uid: number, _extra: string): void {}
  onInviteEndByMyself(_channelID: string, _account: string, _uid: number): void {}
  onInviteMsg(
    _channelID: string,
    _account: string,
    _uid: number,
    _msgType: string,
    _msgData: string,
    _extra: string,
  ): void {}
  onMessageSendError(_messageID: string, _ecode: number): void {}
  onMessageSendSuccess(_messageID: string): void {}
  onMessageInstantReceive(_account: string, _uid: number, _msg: string): void {}
  onMessageChannelReceive(_channelID: string, _account: string, _uid: number, _msg: string): void {}
  onLog(_txt: string): void {}
  onInvokeRet(_callID: string, _err: string, _resp: string): void {}
  onUserAttrResult(_account: string, _name: string, _value: string): void {}
  onUserAttrAllResult(_account: string, _value: string): void {}
  onError(_name: string, _ecode: number, _desc: string): void {}
  onQueryUserStatusResult(_name: string, _status: string): void {}
}

/** Java's `AgoraAPI` namespace of the samples: `new AgoraAPI.CallBack()`. */
export const AgoraAPI = { CallBack } as const;
