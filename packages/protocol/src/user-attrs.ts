import { AttributeOperationError } from './codes.js';
import { utf8Length } from './ids.js';
import { type Limits, RATE_LIMITS } from './limits.js';

/**
 * Wire bodies of the user-attribute ops (SetUserAttrs 30 … GetUserAttrsByKeys 35) and the
 * attribute checks shared by the server and the SDK, so both answer with the same code.
 *
 * Attributes travel as `[key, value]` pairs, never as a map: msgpackr rewrites a map key
 * `__proto__` on decode, and any 1–32 byte string is a valid attribute key.
 */
export type AttrPair = [key: string, value: string];

/** SetUserAttrs (replace all) and AddOrUpdateUserAttrs (merge). Response body: null. */
export interface SetUserAttrsRequest {
  attrs: AttrPair[];
}
/** DeleteUserAttrs: ≥ 1 key. Response body: null. ClearUserAttrs takes no body (null). */
export interface DeleteUserAttrsRequest {
  keys: string[];
}
/** GetUserAttrs. */
export interface GetUserAttrsRequest {
  uid: string;
}
/** GetUserAttrsByKeys: 1–`limits.maxKeysPerGet` keys. */
export interface GetUserAttrsByKeysRequest {
  uid: string;
  keys: string[];
}
/** Response of both gets: the user's attributes (by-keys: only the keys that exist). */
export interface GetUserAttrsResponse {
  attrs: AttrPair[];
}

/**
 * Rate limits of the user-attribute ops per client, as Agora's Java/C++ SDKs document them:
 * set/addOrUpdate/delete/clear share 10 calls / 5 s, get/getByKeys share 40 / 5 s.
 */
export const USER_ATTR_RATES = {
  write: RATE_LIMITS['userAttrs.write'],
  read: RATE_LIMITS['userAttrs.read'],
} as const;

type AttrLimits = Limits['userAttrs'];
const { INVALID_ARGUMENT, SIZE_OVERFLOW } = AttributeOperationError;

/** A key is 1–`maxKeyBytes` UTF-8 bytes. */
export function isValidAttrKey(k: unknown, lim: AttrLimits): k is string {
  if (typeof k !== 'string' || k.length === 0) return false;
  return utf8Length(k) <= lim.maxKeyBytes;
}

/**
 * Checks attribute entries one by one: a bad key or an empty/non-string value is
 * INVALID_ARGUMENT (3), a value over `maxValueBytes` is SIZE_OVERFLOW (4). Any 3 wins over any 4,
 * so the answer does not depend on entry order. Returns 0 when every entry is fine.
 */
export function checkAttrEntries(pairs: readonly (readonly [unknown, unknown])[], lim: AttrLimits): number {
  let code = 0;
  for (const [k, v] of pairs) {
    if (!isValidAttrKey(k, lim) || typeof v !== 'string' || v.length === 0) return INVALID_ARGUMENT;
    if (v.length > lim.maxValueBytes || utf8Length(v) > lim.maxValueBytes) code = SIZE_OVERFLOW;
  }
  return code;
}

/** Σ key bytes + value bytes of a whole attribute set. */
export function attrBytes(attrs: Iterable<readonly [string, string]>): number {
  let n = 0;
  for (const [k, v] of attrs) n += utf8Length(k) + utf8Length(v);
  return n;
}

/** Checks a resulting attribute set: ≤ `maxPairs` pairs and ≤ `maxTotalBytes` (else 4). */
export function checkAttrTotals(attrs: ReadonlyMap<string, string>, lim: AttrLimits): number {
  if (attrs.size > lim.maxPairs) return SIZE_OVERFLOW;
  return attrBytes(attrs) > lim.maxTotalBytes ? SIZE_OVERFLOW : 0;
}

/** Checks a key list: 1–`maxKeys` valid keys (else INVALID_ARGUMENT 3). */
export function checkAttrKeys(keys: unknown, lim: AttrLimits, maxKeys: number): number {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > maxKeys) return INVALID_ARGUMENT;
  for (const k of keys) if (!isValidAttrKey(k, lim)) return INVALID_ARGUMENT;
  return 0;
}

/** true for an array of `[string, string]` pairs (the shape only; values are checked apart). */
export function isAttrPairs(v: unknown): v is AttrPair[] {
  if (!Array.isArray(v)) return false;
  for (const p of v)
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string')
      return false;
  return true;
}
