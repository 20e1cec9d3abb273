/**
 * Small structural guards for request bodies. Every handler checks its body with these before
 * touching it, so a malformed body becomes a coded error instead of an exception.
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
export const isStrMap = (v: unknown): v is Record<string, string> =>
  isObj(v) && Object.values(v).every(isStr);
export const optStr = (v: unknown): v is string | undefined => v === undefined || v === null || isStr(v);
export const optBool = (v: unknown): v is boolean | undefined => v === undefined || v === null || isBool(v);
