import { RequestOps, UploadMediaError } from '@parley/protocol';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { limited, ok } from '../registry.js';

/** What the media feature uses of the context. */
type Needs = 'config' | 'log' | 'registry' | 'store' | 'mediaTickets';

/**
 * Image and file messages (docs/media.md). The bytes go over HTTP (http/routes/media.ts); here a
 * session gets the single-use tickets that authorize its transfers, and expired media is swept.
 * The messages that carry a media id are ordinary peer and channel messages.
 */
export const mediaFeature: Feature<Needs> = {
  name: 'media',
  register(ctx: Pick<FeatureContext, Needs>) {
    ctx.registry.request('media', RequestOps.MediaTicket, (s) =>
      takeRate(s, 'media.ticket')
        ? ok(ctx.mediaTickets.issue(s))
        : limited(UploadMediaError.FAILURE, { message: 'too many media transfers started' }),
    );

    let sweepTimer: NodeJS.Timeout | null = null;
    const sweep = () => {
      ctx.store.media
        .sweep(Date.now())
        .then((n) => {
          if (n > 0) ctx.log.info({ removed: n }, 'expired media removed');
        })
        .catch((e) => ctx.log.error({ err: e }, 'media sweep failed'));
    };
    ctx.registry.hook('onReady', () => {
      sweep();
      sweepTimer = setInterval(sweep, Math.max(1000, Math.min(ctx.config.mediaTtlMs, 60_000)));
      sweepTimer.unref();
    });
    ctx.registry.hook('onClose', () => {
      if (sweepTimer) clearInterval(sweepTimer);
    });
  },
};
