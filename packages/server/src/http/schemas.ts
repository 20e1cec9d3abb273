import { isValidUserId } from '@parley/protocol';

/** JSON Schema `format` of a user id (Agora's rules: 1-64 characters of the allowed set, not "null"). */
export const USER_ID_FORMAT = 'parley-user-id';

/** The body of every error answer of the REST and console APIs (http/errors.ts), for route `response` schemas. */
export const ERROR_BODY = {
  description: 'an error: `code` is one of the codes the route documents',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** The formats route schemas may name, given to Fastify's validator (app.ts). */
export const SCHEMA_FORMATS = {
  [USER_ID_FORMAT]: (s: string) => isValidUserId(s),
};
