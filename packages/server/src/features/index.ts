import type { Feature } from './context.js';
import { peerFeature } from './peer/index.js';
import { presenceFeature } from './presence/index.js';
import { userAttrsFeature } from './user-attrs/index.js';
import { channelsFeature } from './channels/index.js';
import { channelAttrsFeature } from './channel-attrs/index.js';
import { invitationsFeature } from './invitations/index.js';
import { signalingFeature } from './signaling/index.js';
import { agoraEventsFeature } from './agora-events/index.js';
import { mediaFeature } from './media/index.js';

/** Every capability, registered in this order at start-up. */
export const FEATURES: Feature[] = [
  peerFeature,
  presenceFeature,
  userAttrsFeature,
  channelsFeature,
  channelAttrsFeature,
  invitationsFeature,
  signalingFeature,
  agoraEventsFeature,
  mediaFeature,
];
