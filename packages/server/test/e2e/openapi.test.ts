import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { isMethodCatchAll } from '../../src/http/openapi.js';
import { ADMIN_PASSWORD } from '../console-client.js';

/** Fastify's `:param` and `*` as OpenAPI writes them. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}');

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; summary?: string }>>;
  components: { securitySchemes: Record<string, { type: string; in?: string; scheme?: string }> };
}

describe('GET /api/openapi.json', () => {
  let server: ParleyServer;
  let doc: Doc;
  beforeAll(async () => {
    // With the console, so that its routes are registered too.
    server = await startTestServer({ adminPassword: ADMIN_PASSWORD });
    const r = await fetch(`${server.url}/api/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    doc = (await r.json()) as Doc;
  });
  afterAll(() => server?.close());

  it('is OpenAPI 3.1 with the auth schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toEqual({
      appBasic: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      agoraCustomer: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      agoraToken: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-agora-token' }),
      agoraUid: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-agora-uid' }),
      mediaTicket: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      consoleSession: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'parley_console' }),
    });
  });

  it('describes every registered route (from onRoute: routes added later are checked too)', () => {
    const routes = server.httpRoutes.filter((r) => !isMethodCatchAll(r.methods));
    expect(routes.length).toBeGreaterThan(15);
    const missing: string[] = [];
    for (const r of routes)
      for (const m of r.methods) {
        // Fastify adds HEAD for each GET; the document names the GET.
        if (
          m === 'HEAD' &&
          r.methods.length === 1 &&
          routes.some((o) => o.url === r.url && o.methods.includes('GET'))
        )
          continue;
        if (!doc.paths[openapiPath(r.url)]?.[m.toLowerCase()]) missing.push(`${m} ${r.url}`);
      }
    expect(missing).toEqual([]);
    // And nothing it names is made up.
    const registered = new Set(routes.map((r) => openapiPath(r.url)));
    expect(Object.keys(doc.paths).filter((p) => !registered.has(p))).toEqual([]);
  });

  it('names the auth of each group: Basic for /api/v1, customer Basic or an RTM token for the Agora API, the session cookie for the console API', () => {
    const ops = Object.entries(doc.paths).flatMap(([p, byMethod]) =>
      Object.values(byMethod).map((o) => [p, o] as const),
    );
    for (const [p, o] of ops) {
      if (p.startsWith('/api/v1/') && !p.startsWith('/api/v1/media'))
        expect(o.security, p).toEqual([{ appBasic: [] }, {}]);
      if (p.startsWith('/console/api/')) expect(o.security, p).toEqual([{ consoleSession: [] }]);
      if (p.startsWith('/dev/v2/'))
        expect(o.security, p).toEqual([{ agoraCustomer: [] }, { agoraToken: [], agoraUid: [] }, {}]);
      expect(o.summary, p).toBeTruthy();
    }
    expect(doc.paths['/console/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/v1/media']?.post?.security).toEqual([{ mediaTicket: [] }]);
    expect(doc.paths['/api/v1/media/{mediaId}']?.get?.security).toEqual([{ mediaTicket: [] }]);
  });

  it('gives the REST API its answers: the 200 body and the error body', () => {
    const op = doc.paths['/api/v1/apps/{appId}/peers/{id}/messages']?.post as unknown as {
      responses: Record<string, { content: Record<string, { schema: { properties: object } }> }>;
    };
    expect(Object.keys(op.responses['200']!.content['application/json']!.schema.properties)).toEqual([
      'id',
      'ts',
      'received',
      'cached',
    ]);
    expect(op.responses['4XX'] ?? op.responses['4xx']).toBeDefined();
  });
});
