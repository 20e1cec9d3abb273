import { createServer, type ParleyServer, type ServerDeps } from './server.js';
import type { ServerConfig } from './config.js';

export type { ParleyServer };

/**
 * Starts a real server on 127.0.0.1, port 0, in-memory storage and quiet logs, for tests.
 * `close()` shuts it down.
 */
export async function startTestServer(
  cfg: Partial<ServerConfig> = {},
  deps: ServerDeps = {},
): Promise<ParleyServer> {
  const server = await createServer(
    { port: 0, host: '127.0.0.1', dataDir: null, logLevel: process.env.PARLEY_TEST_LOG ?? 'silent', ...cfg },
    deps,
  );
  await server.listen();
  return server;
}
