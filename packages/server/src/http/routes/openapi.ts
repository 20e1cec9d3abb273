import type { FastifyPluginAsync } from 'fastify';

/** GET /api/openapi.json: the OpenAPI 3.1 description of every HTTP route. */
export const openapiRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/api/openapi.json',
    { schema: { summary: 'This document', tags: ['Meta'] } },
    async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()),
  );
};
