/**
 * The data dir cannot be used (not a directory, not writable, corrupt or foreign database, schema
 * newer than this build). Start-up stops with this message: never run on data we cannot trust.
 */
export class DataDirError extends Error {
  override name = 'DataDirError';
}
