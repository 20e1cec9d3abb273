import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../logger.js';
import { SdkFiles } from '../sdk-files.js';

/** GET/HEAD /sdk/<file>: the SDKs' browser builds (sdk-files.ts), revalidated by ETag. */
export const sdkRoutes: FastifyPluginAsync<{ log: Logger }> = async (app, { log }) => {
  // Counted with the other 5xx answers by the app's error handler; the cause is logged here.
  const files = new SdkFiles((name, err) => log.error({ err, file: name }, 'SDK file could not be read'));
  app.get(
    '/sdk/*',
    {
      schema: {
        summary: "The SDKs' browser builds (agora-rtm-sdk.js, agora-signaling.js, ESM builds, maps)",
      },
    },
    async (request, reply) => {
      const name = (request.params as { '*': string })['*'];
      const a = await files.answer(name, request.headers['if-none-match']);
      return reply.code(a.status).headers(a.headers).send(a.body);
    },
  );
};
