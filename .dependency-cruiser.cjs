/**
 * The layering of mrd-tools, checked by `pnpm test` (it runs dependency-cruiser with this file
 * before vitest). See docs/architecture.md for the layers.
 *
 * Any import that breaks one of these rules fails the run, naming the importing file, the
 * imported one and the rule:
 * - packages talk through declared dependencies and exports maps: no relative path into another
 *   package (nor from tests/ into a package), no import of a package the importer's own
 *   package.json does not declare, nothing that does not resolve (a deep path outside `exports`);
 * - @mrd-tools/core, the format layer, imports no other workspace package;
 * - @mrd-tools/recon-kernels, the numerics, imports no other workspace package (no MRD types);
 *   its generic folders never import its MRI layer (src/mri);
 * - @mrd-tools/recon-api, the module API, builds on the format layer only;
 * - test fixtures (src/testing/, a package's ./testing subpath) are imported by tests only.
 */
const TEST_TOOLS = '(vitest|@vitest|esbuild)';
// Workspace packages are resolved through their node_modules links (preserveSymlinks), so that an
// import is judged against the importer's own package.json; this matches any of them.
const WORKSPACE = 'node_modules/@mrd-tools/';

module.exports = {
  forbidden: [
    {
      name: 'no-relative-into-another-package',
      comment: 'A package reaches another only by its name and exports map (a declared dependency), never by a relative path into its files.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: '^packages/$1/', dependencyTypes: ['local'] },
    },
    {
      name: 'no-relative-from-tests-into-packages',
      comment: 'tests/ imports packages by name (the root package.json declares them), never by a path into their src.',
      severity: 'error',
      from: { path: '^tests/' },
      to: { path: '^packages/', dependencyTypes: ['local'] },
    },
    {
      name: 'no-undeclared-dependency',
      comment: "Every package imported is declared in the importer's own package.json (dependencies or devDependencies); the repository's test tools (vitest, esbuild) are declared at the root.",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], pathNot: `node_modules/${TEST_TOOLS}/` },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve: a typo, or a path into a package that its exports map does not offer.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'core-is-the-format-layer',
      comment: '@mrd-tools/core (the MRD format layer) imports nothing from the numerics, the module API or any tool.',
      severity: 'error',
      from: { path: '^packages/mrd-core/' },
      to: { path: `${WORKSPACE}|^packages/(?!mrd-core/)` },
    },
    {
      name: 'numerics-know-no-mrd',
      comment: '@mrd-tools/recon-kernels (the numerics) imports no other workspace package: no MRD types, no module API, no tool.',
      severity: 'error',
      from: { path: '^packages/recon-kernels/' },
      to: { path: `${WORKSPACE}|^packages/(?!recon-kernels/)` },
    },
    {
      name: 'generic-numerics-not-on-mri',
      comment: "The generic numerics (fft, centred-fft, nufft, image, iterative, progress) sit below the MRI layer (src/mri: SENSE, coil maps, nlinv, GIRF), as SigPy's linop below its mri.",
      severity: 'error',
      from: { path: '^packages/recon-kernels/src/(?!mri/)' },
      to: { path: '^packages/recon-kernels/src/mri/' },
    },
    {
      name: 'test-fixtures-only-in-tests',
      comment: "Test fixtures live in a package's src/testing/ folder (its ./testing subpath) and are imported only by tests (*.test.ts, tests/) and other fixtures, so no tool bundle carries them. The one exception is the module writers' replay harness (@mrd-tools/recon-api/testing), which mrd-server offers to user modules.",
      severity: 'error',
      from: { path: '^packages/[^/]+/src/', pathNot: ['[.]test[.]tsx?$', '/src/testing/', '^packages/mrd-server/src/core-namespaces[.]ts$'] },
      to: { path: '(^|/)src/testing/' },
    },
    {
      name: 'module-api-on-the-format-layer',
      comment: '@mrd-tools/recon-api (the module contract and helpers) builds on @mrd-tools/core only, never on a tool.',
      severity: 'error',
      from: { path: '^packages/recon-api/' },
      to: { path: `node_modules/@mrd-tools/(?!core/)|^packages/(?!recon-api/|mrd-core/)` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
