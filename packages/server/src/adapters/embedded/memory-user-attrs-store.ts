import type { UserAttrsStore } from '../../ports/user-attrs-store.js';

/** UserAttrsStore in process memory. */
export class MemoryUserAttrsStore implements UserAttrsStore {}
