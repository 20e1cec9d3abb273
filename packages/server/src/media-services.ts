import { randomBytes } from 'node:crypto';
import { MEDIA_LIMITS } from '@parley/protocol';
import type { FeatureContext } from './features/context.js';
import type { MediaServices } from './http/rest-services.js';
import type { LocalSessions } from './delivery/recipient.js';
import { MediaUploads } from './media-uploads.js';

/**
 * The media routes' services (http/rest-services.ts), over the feature context's tickets and the
 * Store's media: a ticket counts only while the session it was issued to is still this node's
 * live session of that user, so a download URL is useless without a live session of the app.
 */
export function mediaServices(
  ctx: Pick<FeatureContext, 'config' | 'store' | 'mediaTickets'>,
  sessions: LocalSessions,
): MediaServices {
  const { store } = ctx;
  const uploads = new MediaUploads(storeUpload(ctx));
  return {
    get available() {
      return store.media.available;
    },
    redeem(ticket) {
      const s = ctx.mediaTickets.redeem(ticket);
      const live = () => s !== undefined && s.phase !== 'ended' && sessions.local(s.appId, s.uid) === s;
      return s && live() ? { appId: s.appId, uid: s.uid, live } : null;
    },
    begin: (owner, size, body) => uploads.begin(owner, size, body),
    part: (uploadId, offset, body) => uploads.part(uploadId, offset, body),
    async download(appId, mediaId) {
      const f = await store.media.open(appId, mediaId, Date.now());
      return f && { size: f.record.size, body: f.body };
    },
  };
}

/** Stores one upload's bytes (a stream over all its parts) in the Store's media. */
function storeUpload(ctx: Pick<FeatureContext, 'config' | 'store'>) {
  const { store, config } = ctx;
  return async (owner: { appId: string; uid: string }, size: number, body: AsyncIterable<Uint8Array>) => {
    const r = await store.media.put({
      appId: owner.appId,
      uploader: owner.uid,
      // 128 random bits: ids are unguessable, though a download needs a ticket of the app too.
      id: randomBytes(16).toString('base64url'),
      size,
      body,
      ttlMs: config.mediaTtlMs,
      maxFileBytes: MEDIA_LIMITS.maxFileBytes,
      appMaxBytes: config.mediaMaxBytesPerApp,
    });
    return 'refused' in r ? r : { mediaId: r.id, size: r.size };
  };
}
