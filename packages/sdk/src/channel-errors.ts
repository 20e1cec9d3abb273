import {
  ChannelMessageError,
  GetChannelMemberCountError,
  GetMembersError,
  JoinChannelError,
  LeaveChannelError,
  RATE_LIMITS,
} from '@parley/protocol';
import {
  RtmInvalidArgumentError as Arg,
  RtmInvalidStatusError as Status,
  RtmInvokeTooOftenError as Often,
  RtmLimitExceededError as Limit,
  RtmTimeoutError as Timeout,
  RtmUnavailableError as Unavail,
  RtmUnknownError as Unknown,
  type ErrorTable,
} from './errors.js';
import { SEND_RATE_TEXT, rateText } from './rate-texts.js';

/** Error class and text per code of the channel operations (Agora's mapping). */
export const JOIN_CHANNEL_ERRORS: ErrorTable = {
  [JoinChannelError.FAILURE]: [Unknown, 'Join channel failure.'],
  [JoinChannelError.REJECTED]: [Unavail, 'Join channel rejected by the server.'],
  [JoinChannelError.INVALID_ARGUMENT]: [Arg, 'Invalid channel ID.'],
  [JoinChannelError.TIMEOUT]: [Timeout, 'Join channel timeout.'],
  [JoinChannelError.EXCEED_LIMIT]: [Limit, 'Exceeded the limit of 20 joined channels.'],
  [JoinChannelError.ALREADY_JOINED]: [Status, 'The channel is already joined or being joined.'],
  [JoinChannelError.TOO_OFTEN]: [
    Often,
    `Join channel too often: exceeded ${rateText(RATE_LIMITS.join, 'joins')}.`,
  ],
  [JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN]: [
    Often,
    `Join the same channel too often: exceeded ${rateText(RATE_LIMITS.joinSameChannel, 'joins')}.`,
  ],
  [JoinChannelError.ABORTED_BY_LEAVE]: [Status, 'Join channel aborted by leave.'],
  [JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID]: [
    Status,
    'Another channel instance with the same ID is joined.',
  ],
};
export const LEAVE_CHANNEL_ERRORS: ErrorTable = {
  [LeaveChannelError.FAILURE]: [Unknown, 'Leave channel failure.'],
  [LeaveChannelError.REJECTED]: [Unavail, 'Leave channel rejected by the server.'],
  [LeaveChannelError.NOT_IN_CHANNEL]: [Status, 'The user is not in the channel.'],
  [LeaveChannelError.KICKED]: [Status, 'Kicked from the channel.'],
};
export const CHANNEL_MESSAGE_ERRORS: ErrorTable = {
  [ChannelMessageError.FAILURE]: [Unknown, 'Send channel message failure.'],
  [ChannelMessageError.TIMEOUT]: [Timeout, 'Send channel message timeout.'],
  [ChannelMessageError.TOO_OFTEN]: [
    Limit,
    `Send channel message too often: exceeded the ${SEND_RATE_TEXT} limit.`,
  ],
  [ChannelMessageError.INVALID_MESSAGE]: [Arg, 'Invalid message.'],
  [ChannelMessageError.NOT_IN_CHANNEL]: [Status, 'The user is not in the channel.'],
};
/** a message over the size limit is RtmLimitExceededError with the INVALID_MESSAGE code (Agora) */
export const CHANNEL_MESSAGE_TOO_LARGE: [typeof Limit, string] = [Limit, 'The message is too long.'];
export const GET_MEMBERS_ERRORS: ErrorTable = {
  [GetMembersError.FAILURE]: [Unknown, 'Get members failure.'],
  [GetMembersError.REJECTED]: [Unavail, 'Get members rejected by the server.'],
  [GetMembersError.TIMEOUT]: [Timeout, 'Get members timeout.'],
  [GetMembersError.TOO_OFTEN]: [
    Often,
    `Get members too often: exceeded ${rateText(RATE_LIMITS.getMembers, 'calls')}.`,
  ],
  [GetMembersError.NOT_IN_CHANNEL]: [Status, 'The user is not in the channel.'],
};
export const GET_CHANNEL_MEMBER_COUNT_ERRORS: ErrorTable = {
  [GetChannelMemberCountError.FAILURE]: [Unknown, 'Get channel member count failure.'],
  [GetChannelMemberCountError.INVALID_ARGUMENT]: [Arg, 'Invalid channel ID list.'],
  [GetChannelMemberCountError.TOO_OFTEN]: [
    Often,
    `Get channel member count too often: exceeded ${rateText(RATE_LIMITS.getMemberCount, 'calls')}.`,
  ],
  [GetChannelMemberCountError.TIMEOUT]: [Timeout, 'Get channel member count timeout.'],
  // Agora's runtime throws RtmInvalidArgumentError for a list of 0 or more than 32 ids.
  [GetChannelMemberCountError.EXCEED_LIMIT]: [Arg, 'Give 1 to 32 channel IDs.'],
  [GetChannelMemberCountError.NOT_INITIALIZED]: [Status, 'Not initialized.'],
};
