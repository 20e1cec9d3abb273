import type { ClientInternals, ClientModule } from './invoke.js';
import { RtmNotImplementedError } from './errors.js';
import type { PeerSubscriptionOption } from '@parley/protocol';

/** Online status queries and subscriptions. */
export class PresenceApi implements ClientModule {
  constructor(private readonly c: ClientInternals) {}
  onEvent(_op: number, _body: unknown): boolean {
    return false;
  }
  async queryPeersOnlineStatus(_peerIds: string[]): Promise<{ [peerId: string]: boolean }> {
    throw new RtmNotImplementedError(1, 'queryPeersOnlineStatus is not available yet.');
  }
  async subscribePeersOnlineStatus(_peerIds: string[]): Promise<void> {
    throw new RtmNotImplementedError(1, 'subscribePeersOnlineStatus is not available yet.');
  }
  async unsubscribePeersOnlineStatus(_peerIds: string[]): Promise<void> {
    throw new RtmNotImplementedError(1, 'unsubscribePeersOnlineStatus is not available yet.');
  }
  async queryPeersBySubscriptionOption(_option: PeerSubscriptionOption): Promise<string[]> {
    throw new RtmNotImplementedError(1, 'queryPeersBySubscriptionOption is not available yet.');
  }
}
