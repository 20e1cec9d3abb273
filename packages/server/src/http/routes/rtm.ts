import type { FastifyPluginAsync } from 'fastify';
import { sendText } from '../errors.js';

/**
 * GET /rtm without an upgrade: 426. The WebSocket upgrade itself never reaches Fastify: the
 * gateway (transport/gateway.ts) takes the http server's 'upgrade' event.
 */
export const rtmRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/rtm',
    {
      schema: {
        summary: 'The WebSocket API (docs/protocol.md); without an upgrade: 426',
        tags: ['WebSocket'],
      },
    },
    async (_request, reply) => sendText(reply, 426, 'upgrade to WebSocket required\n'),
  );
};
