/**
 * Layering of the server (DESIGN §2, docs/architecture.md), checked by `npm run lint`:
 * transport → session → features → delivery → cluster / ports; protocol and the kernel below
 * all. Adapters implement ports and never reach into the layers above them. No cycles.
 * Composition roots (server.ts, cli/, index.ts, testing.ts) may import any layer; http/ reaches
 * the server only through the narrow services it is given (http/rest-services.ts).
 */
const SRC = '^packages/server/src/';
const layer = (name) => `${SRC}${name}/`;

/** `from` may not import any of `to`. */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles hide which layer owns what; break them with an interface below.',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true },
    },
    forbid(
      'kernel-below-all',
      'src/kernel is the shared kernel: it imports nothing of the server but itself.',
      layer('kernel'),
      `${SRC}(?!kernel/)`,
    ),
    forbid(
      'ports-are-interfaces',
      'Ports are interfaces: they import only other ports and the kernel.',
      layer('ports'),
      `${SRC}(transport|session|features|delivery|cluster|adapters|http)/`,
    ),
    forbid(
      'cluster-below-delivery',
      'The node mesh, route cache and node liveness know nothing of delivery, features or sessions.',
      layer('cluster'),
      `${SRC}(transport|session|features|delivery|adapters|http)/`,
    ),
    forbid(
      'delivery-below-features',
      'Delivery serves features, REST and Signaling alike: it never imports them or the session layer.',
      layer('delivery'),
      `${SRC}(transport|session|features|adapters|http)/`,
    ),
    forbid(
      'features-below-session',
      'Features are handlers over a narrow context: no session layer, transport, adapters or HTTP.',
      layer('features'),
      `${SRC}(transport|session|adapters|http)/`,
    ),
    {
      name: 'features-independent',
      comment: 'Features never import each other; they share code through delivery/ or FeatureServices.',
      severity: 'error',
      from: { path: `${SRC}features/([^/]+)/` },
      to: { path: `${SRC}features/[^/]+/`, pathNot: `${SRC}features/$1/` },
    },
    forbid(
      'session-below-transport',
      'The session layer never imports the transport (the transport hands it ClientLinks).',
      layer('session'),
      `${SRC}(transport|adapters|http)/`,
    ),
    forbid(
      'transport-on-top',
      'The transport reaches features only through the session layer.',
      layer('transport'),
      `${SRC}(features|delivery|adapters|http)/`,
    ),
    forbid(
      'adapters-implement-ports',
      'Adapters implement ports; they never import features, sessions, delivery or the transport.',
      layer('adapters'),
      `${SRC}(transport|session|features|delivery|http)/`,
    ),
    forbid(
      'http-through-services',
      'HTTP routes get RestServices built in createServer; they never import the layers behind them.',
      layer('http'),
      `${SRC}(transport|session|features|delivery|cluster|adapters)/`,
    ),
    forbid(
      'console-built-in-server',
      "src/console implements the web console's ConsoleServices over the server's parts; only server.ts builds it.",
      `${SRC}(?!server\\.ts$|console/)`,
      layer('console'),
    ),
    forbid(
      'console-over-layers',
      'The console reads and acts through the session layer, delivery, cluster and ports, never features, adapters or the transport.',
      layer('console'),
      `${SRC}(transport|features/(?!client-session)|adapters)/`,
      'webhooks-read-the-feed',
      'Webhooks are an outbound adapter of the activity feed: the kernel and config, never the layers that emit it.',
      layer('webhooks'),
      `${SRC}(transport|session|features|delivery|cluster|ports|adapters|http)/`,
    ),
    forbid(
      'only-roots-import-webhooks',
      'Nothing reaches the webhooks but the composition roots (server.ts builds them, cli/ checks their flags).',
      `${SRC}(transport|session|features|delivery|cluster|ports|adapters|http|kernel)/`,
      layer('webhooks'),
    ),
    forbid(
      'protocol-imports-nothing-of-ours',
      '@parley/protocol is browser-safe and stands alone.',
      '^packages/protocol/src/',
      '^(packages/(token|server|sdk|signaling)/|node_modules/@parley/)',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test|node_modules)/' },
    // Type-only imports count: a cycle through types is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
