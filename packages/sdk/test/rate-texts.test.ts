import {
  GetChannelMemberCountError,
  JoinChannelError,
  PeerMessageError,
  RATE_LIMITS,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { GET_CHANNEL_MEMBER_COUNT_ERRORS, JOIN_CHANNEL_ERRORS } from '../src/channel-errors.js';
import { PEER_MESSAGE_ERRORS } from '../src/error-tables.js';
import { rateText } from '../src/rate-texts.js';

describe('rate texts from protocol RATE_LIMITS', () => {
  it('says a rate as the Agora texts do', () => {
    expect(rateText({ count: 50, windowMs: 3000 }, 'joins')).toBe('50 joins in 3 seconds');
    expect(rateText({ count: 1, windowMs: 1000 }, 'calls')).toBe('1 call per second');
  });

  it('the error tables name the numbers of the protocol tables', () => {
    expect(JOIN_CHANNEL_ERRORS[JoinChannelError.TOO_OFTEN]![1]).toBe(
      `Join channel too often: exceeded ${RATE_LIMITS.join.count} joins in ${RATE_LIMITS.join.windowMs / 1000} seconds.`,
    );
    expect(JOIN_CHANNEL_ERRORS[JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN]![1]).toBe(
      'Join the same channel too often: exceeded 2 joins in 5 seconds.',
    );
    expect(GET_CHANNEL_MEMBER_COUNT_ERRORS[GetChannelMemberCountError.TOO_OFTEN]![1]).toBe(
      'Get channel member count too often: exceeded 1 call per second.',
    );
    expect(PEER_MESSAGE_ERRORS[PeerMessageError.TOO_OFTEN]![1]).toBe(
      'Send peer message too often: exceeded the 180 messages in 3 seconds limit.',
    );
  });
});
