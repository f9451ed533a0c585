import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The direction of imports between src/ folders (docs/ARCHITECTURE.md), as lint rules:
// each folder lists what it may import; everything else of the project is an error. And
// no import cycles. Kept in its own file so test/unit/lint-layers.test.ts can feed these
// rules violating files.

/** A module that imports itself through others (type-only imports are erased, so they may). */
export const cycleRule = {
  files: ['src/**/*.{ts,tsx}'],
  plugins: { 'import-x': importX },
  settings: {
    // import-x parses the modules it follows: TypeScript's, with TypeScript's resolution.
    'import-x/extensions': ['.ts', '.tsx', '.js'],
    'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import-x/resolver-next': [createTypeScriptImportResolver()],
  },
  rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
};

/** Every top-level folder of src/ (and the cli entry files beside them). */
const FOLDERS = ['core', 'fs', 'aws', 'nix', 'sandbox', 'ui', 'services', 'commands', 'cli'];

/** Folder -> the folders it may import, besides itself. */
export const LAYERS = {
  core: [],
  fs: ['core'],
  aws: ['core', 'fs'],
  nix: ['core', 'fs'],
  // The sandbox stands in for AWS behind aws/clients.ts's interfaces (types only) and
  // simulates the repo side's tools (tofu, nix build) with nix's types and git.
  sandbox: ['core', 'fs', 'nix'],
  ui: ['core'],
  services: ['core', 'fs', 'aws', 'nix'],
};

/** Folders that never render: no Ink, no React. */
const NO_UI = ['core', 'fs', 'aws', 'nix', 'sandbox', 'services'];

const up = '^(\\.\\./)+';
const folderImport = (folder) =>
  folder === 'cli'
    ? { regex: `${up}cli(-[a-z-]+)?(\\.js|/.*)$`, message: 'the cli wires everything: nothing imports it back' }
    : { regex: `${up}${folder}/`, message: `see docs/ARCHITECTURE.md: this layer may not import ${folder}/` };

const folderRules = Object.entries(LAYERS).map(([layer, allowed]) => {
  const forbidden = FOLDERS.filter((f) => f !== layer && !allowed.includes(f));
  const patterns = forbidden.map(folderImport);
  if (layer === 'sandbox') {
    patterns.splice(
      patterns.findIndex((p) => p.regex === `${up}aws/`),
      1,
      { regex: `${up}aws/(?!clients\\.js$)`, message: 'the sandbox implements aws/clients.ts; nothing else of aws/' },
      { regex: `${up}aws/clients\\.js$`, allowTypeImports: true, message: 'the sandbox takes only the types of aws/clients.ts' },
    );
  }
  if (NO_UI.includes(layer)) patterns.push({ regex: '^(ink|react)(/|$)', message: `${layer}/ never renders: Ink and React belong to ui/` });
  return { files: [`src/${layer}/**/*.{ts,tsx}`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

/**
 * A command group (src/commands/<group>/) never imports another group: what two groups
 * share is a service (or core, or ui). Of the cli it takes only the context and the action helper.
 */
const commandRules = {
  files: ['src/commands/*/**/*.{ts,tsx}'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: '^\\.\\./[a-z-]+/', message: 'a command never imports another command group: move what they share into services/ (or core/, ui/)' },
          { regex: '^\\.\\./\\.\\./cli/(?!(context|action)\\.js$)', message: 'commands take only the context and the action helper from cli/' },
          { regex: '^\\.\\./\\.\\./cli(-[a-z-]+)?\\.js$', message: 'the cli wires everything: nothing imports it back' },
        ],
      },
    ],
  },
};

export const layerRules = [...folderRules, commandRules];
