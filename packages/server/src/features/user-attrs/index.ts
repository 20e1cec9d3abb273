import type { Feature } from '../context.js';

/** (Filled in by its feature: handlers and hooks.) */
export const userAttrsFeature: Feature = {
  name: 'user-attrs',
  register() {},
};
