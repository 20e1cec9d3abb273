import type { Feature } from '../context.js';

/** (Filled in by its feature: handlers and hooks.) */
export const channelAttrsFeature: Feature = {
  name: 'channel-attrs',
  register() {},
};
