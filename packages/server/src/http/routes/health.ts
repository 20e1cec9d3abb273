import type { FastifyPluginAsync } from 'fastify';

export interface HealthOptions {
  /** false while the server cannot serve (shutting down, Redis unreachable in cluster mode) */
  ready: () => { ok: boolean; detail: Record<string, unknown> };
}

/** GET /healthz: 200 `{ "status": "ok", … }` while serving, else 503 `"unavailable"`. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { ready }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Readiness: 200 while serving, 503 while not (shutting down, bus down)',
        tags: ['Operations'],
      },
    },
    async (_request, reply) => {
      const r = ready();
      const body = `${JSON.stringify({ status: r.ok ? 'ok' : 'unavailable', ...r.detail })}\n`;
      // A Buffer, so that Fastify keeps the content type as given (it adds a charset to strings).
      return reply
        .code(r.ok ? 200 : 503)
        .header('content-type', 'application/json')
        .send(Buffer.from(body));
    },
  );
};
