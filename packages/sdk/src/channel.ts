import { TypedEventEmitter } from './typed-emitter.js';
import type { RtmChannelEvents } from './events.js';
import type { ClientInternals, ClientModule } from './invoke.js';
import { RtmInvalidArgumentError, RtmNotImplementedError } from './errors.js';
import { isValidChannelId } from '@parley/protocol';
import type { ChannelAttributeOptions, ChannelAttributes, AttributesMap, RtmMessage } from './types.js';

/** A channel instance (agora-rtm-sdk RtmChannel). */
export class RtmChannel extends TypedEventEmitter<RtmChannelEvents> {
  constructor(
    readonly channelId: string,
    /** @internal */ private readonly api: ChannelsApi,
  ) {
    super();
  }
  async join(): Promise<void> {
    throw new RtmNotImplementedError(1, 'join is not available yet.');
  }
  async leave(): Promise<void> {
    throw new RtmNotImplementedError(1, 'leave is not available yet.');
  }
  async sendMessage(_message: RtmMessage): Promise<void> {
    throw new RtmNotImplementedError(1, 'sendMessage is not available yet.');
  }
  async getMembers(): Promise<string[]> {
    throw new RtmNotImplementedError(1, 'getMembers is not available yet.');
  }
}

/** Channels, member counts and channel attributes. */
export class ChannelsApi implements ClientModule {
  constructor(private readonly c: ClientInternals) {}
  onEvent(_op: number, _body: unknown): boolean {
    return false;
  }
  createChannel(channelId: string): RtmChannel {
    if (!isValidChannelId(channelId)) throw new RtmInvalidArgumentError(1, 'The channel ID is invalid.');
    return new RtmChannel(channelId, this);
  }
  private na(name: string): never {
    throw new RtmNotImplementedError(1, `${name} is not available yet.`);
  }
  async getChannelMemberCount(_channelIds: string[]): Promise<{ [channelId: string]: number }> {
    return this.na('getChannelMemberCount');
  }
  async setChannelAttributes(_channelId: string, _attributes: AttributesMap, _options?: ChannelAttributeOptions): Promise<void> {
    this.na('setChannelAttributes');
  }
  async addOrUpdateChannelAttributes(_channelId: string, _attributes: AttributesMap, _options?: ChannelAttributeOptions): Promise<void> {
    this.na('addOrUpdateChannelAttributes');
  }
  async deleteChannelAttributesByKeys(_channelId: string, _attributeKeys: string[], _options?: ChannelAttributeOptions): Promise<void> {
    this.na('deleteChannelAttributesByKeys');
  }
  async clearChannelAttributes(_channelId: string, _options?: ChannelAttributeOptions): Promise<void> {
    this.na('clearChannelAttributes');
  }
  async getChannelAttributes(_channelId: string): Promise<ChannelAttributes> {
    return this.na('getChannelAttributes');
  }
  async getChannelAttributesByKeys(_channelId: string, _attributeKeys: string[]): Promise<ChannelAttributes> {
    return this.na('getChannelAttributesByKeys');
  }
}
