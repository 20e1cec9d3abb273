import { LoginError, PeerMessageError, RenewTokenError, UploadMediaError } from '@parley/protocol';
import {
  RtmInvalidArgumentError as Arg,
  RtmInvalidStatusError as Status,
  RtmInvokeTooOftenError as Often,
  RtmLimitExceededError as Limit,
  RtmTimeoutError as Timeout,
  RtmUnauthenticatedError as Unauth,
  RtmUnavailableError as Unavail,
  RtmUnknownError as Unknown,
  type ErrorTable,
  type RtmErrorClass,
} from './errors.js';
import { SEND_RATE_TEXT } from './rate-texts.js';

/** Error class and text per code, for the operations of the core client (Agora's mapping). */
export const LOGIN_ERRORS: ErrorTable = {
  [LoginError.UNKNOWN]: [Unknown, 'Login failure.'],
  [LoginError.REJECTED]: [Unavail, 'Login rejected by the server.'],
  [LoginError.INVALID_ARGUMENT]: [Arg, 'Invalid login argument.'],
  [LoginError.INVALID_APP_ID]: [Unauth, 'Invalid App ID.'],
  [LoginError.INVALID_TOKEN]: [Unauth, 'Invalid token.'],
  [LoginError.TOKEN_EXPIRED]: [Unauth, 'The token has expired.'],
  [LoginError.NOT_AUTHORIZED]: [Unauth, 'Not authorized.'],
  [LoginError.ALREADY_LOGIN]: [Status, 'The client is already logged in or logging in.'],
  [LoginError.TIMEOUT]: [Timeout, 'Login timeout.'],
  [LoginError.TOO_OFTEN]: [Often, 'Login too often.'],
  [LoginError.ABORTED_BY_LOGOUT]: [Status, 'Login aborted by logout.'],
};
export const LOGOUT_ERRORS: ErrorTable = {
  102: [Status, 'Logout failure. The client has already been logged out.'],
};
export const PEER_MESSAGE_ERRORS: ErrorTable = {
  [PeerMessageError.FAILURE]: [Unknown, 'Send peer message failure.'],
  [PeerMessageError.TIMEOUT]: [Timeout, 'Send peer message timeout.'],
  [PeerMessageError.TOO_OFTEN]: [Limit, `Send peer message too often: exceeded the ${SEND_RATE_TEXT} limit.`],
  [PeerMessageError.INVALID_USERID]: [Arg, 'Invalid peer ID.'],
  [PeerMessageError.INVALID_MESSAGE]: [Arg, 'Invalid message.'],
  [PeerMessageError.INCOMPATIBLE_MESSAGE]: [Arg, 'Incompatible message.'],
};
/** a message over the size limit is RtmLimitExceededError with the INVALID_MESSAGE code (Agora) */
export const PEER_MESSAGE_TOO_LARGE: [typeof Limit, string] = [Limit, 'The message is too long.'];
export const RENEW_TOKEN_ERRORS: ErrorTable = {
  // Agora: a renewal nobody answered within 20 s rejects with RtmTimeoutError code 1; the server
  // never answers 1 itself, so the row is the timeout's.
  [RenewTokenError.FAILURE]: [Timeout, 'Renew token timeout.'],
  [RenewTokenError.INVALID_ARGUMENT]: [Arg, 'Invalid token.'],
  [RenewTokenError.REJECTED]: [Unavail, 'Renew token rejected.'],
  [RenewTokenError.TOO_OFTEN]: [Often, 'Renew token too often.'],
  [RenewTokenError.TOKEN_EXPIRED]: [Unauth, 'The token has expired.'],
  [RenewTokenError.INVALID_TOKEN]: [Unauth, 'Invalid token.'],
  [RenewTokenError.ABORTED_BY_LOGOUT]: [Status, 'Renew token aborted by logout.'],
};
/**
 * The rows an upload and a download share (UploadMediaError / DownloadMediaError, docs/media.md):
 * they differ in the text of 2 and in 4 (SIZE_OVERFLOW / NOT_EXIST).
 */
function mediaErrors(op: 'Upload' | 'Download', invalid: string, four: [RtmErrorClass, string]): ErrorTable {
  return {
    [UploadMediaError.FAILURE]: [Unknown, `${op} media failure.`],
    [UploadMediaError.INVALID_ARGUMENT]: [Arg, invalid],
    [UploadMediaError.TIMEOUT]: [Timeout, `${op} media timeout.`],
    // SIZE_OVERFLOW of an upload, DownloadMediaError.NOT_EXIST of a download (both 4)
    [UploadMediaError.SIZE_OVERFLOW]: four,
    [UploadMediaError.CONCURRENCY_LIMIT_EXCEEDED]: [Limit, 'At most 9 media transfers at once.'],
    [UploadMediaError.INTERRUPTED]: [Unknown, `${op} media interrupted.`],
    [UploadMediaError.NOT_INITIALIZED]: [Status, 'The client is not initialized.'],
  };
}
/** 1.4.x createMediaMessageByUploading. */
export const UPLOAD_MEDIA_ERRORS = mediaErrors('Upload', 'Invalid message params type.', [
  Limit,
  'The file is over 30 MB.',
]);
/** 1.4.x downloadMedia. */
export const DOWNLOAD_MEDIA_ERRORS = mediaErrors('Download', 'Invalid media id.', [
  Arg,
  'The media does not exist or has expired.',
]);
