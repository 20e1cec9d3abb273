import type { Feature } from './context.js';
import { peerFeature } from './peer/index.js';

/** Every capability, registered in this order at start-up. */
export const FEATURES: Feature[] = [peerFeature];
