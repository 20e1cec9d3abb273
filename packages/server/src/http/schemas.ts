import { isValidUserId } from '@parley/protocol';

/** JSON Schema `format` of a user id (Agora's rules: 1-64 characters of the allowed set, not "null"). */
export const USER_ID_FORMAT = 'parley-user-id';

/** The formats route schemas may name, given to Fastify's validator (app.ts). */
export const SCHEMA_FORMATS = {
  [USER_ID_FORMAT]: (s: string) => isValidUserId(s),
};
