// The layering of src/, checked by dependency-cruiser in `npm test` (docs/development.md "Layers").
// Imports point down this list; folders on one line are siblings and may import each other (without cycles).
const LAYERS = [
  ['main.ts'],
  ['cli'],
  ['server'],
  ['admin'],
  ['envoy'],
  ['observability', 'approvals', 'shadow'], // adapters around the core: they read its types, the core never imports them
  ['check'], // the core: the pipeline and the interfaces it declares
  ['mcp', 'facts', 'identity', 'cache'], // the steps of a check
  ['policy'], // sources, bundles, store, reloader
  ['rego-wasm'], // the engine: a package of its own
  ['pack'], // the guardrails pack's data contract
  ['config'], // composes each module's schema (src/<module>/config.ts)
  ['shared', 'generated'],
];
const dir = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '[.]')}$` : `^src/${name}/`);
const below = (i) => LAYERS.slice(i + 1).flat();

module.exports = {
  forbidden: [
    // Every layer imports only its own line and the lines below it.
    ...LAYERS.flatMap((line, i) =>
      line.map((name) => ({
        name: `layer:${name}`,
        comment: `src/${name} imports only ${[...line.filter((n) => n !== name), ...below(i)].join(', ') || 'nothing of src/'} (docs/development.md)`,
        severity: 'error',
        from: { path: dir(name) },
        to: {
          path: '^src/',
          pathNot: [dir(name), ...line.filter((n) => n !== name).map(dir), ...below(i).map(dir)],
          // config/schema.ts composes the schema each module declares in its own config.ts (or <part>-config.ts).
          ...(name === 'config' ? { pathNot: [dir(name), ...below(i).map(dir), '^src/(?!pack/)[a-z/-]*config[.]ts$'] } : {}),
        },
      })),
    ),
    {
      name: 'module-config-is-a-leaf',
      comment: 'a module config.ts or <part>-config.ts (composed by config/schema.ts) imports only shared/ and libraries',
      severity: 'error',
      from: { path: '^src/(?!config/|pack/)[a-z/-]*config[.]ts$' },
      to: { path: '^src/', pathNot: ['^src/shared/'] },
    },
    {
      name: 'rego-wasm-is-a-package',
      comment: 'the Rego/WASM engine imports nothing of the server but shared/ (natives are passed in)',
      severity: 'error',
      from: { path: '^src/rego-wasm/' },
      to: { path: '^src/', pathNot: ['^src/rego-wasm/', '^src/shared/'] },
    },
    {
      name: 'no-circular',
      comment:
        'no import cycles at run time: a cycle closed only by a type import is none (tracing.ts loads tracing-otel.ts lazily, which names its types); generated protobuf types refer to each other as the .proto files do',
      severity: 'error',
      from: { pathNot: '^src/generated/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-orphans',
      comment: 'every module is imported by something (main.ts and worker entry points are roots)',
      severity: 'error',
      from: { orphan: true, pathNot: ['^src/main[.]ts$', '[.]d[.]ts$', '^src/generated/', '-worker[.]ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
