import { defineConfig } from 'tsup';

// dist/cli.js is the one entry. Code splitting keeps each command group (and the
// AWS SDK / Ink it pulls in) in a chunk loaded only when that command runs, so
// `claw --help` and `claw --version` start as fast as bare node.
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: false,
  shims: false,
  // commander is needed by every run: inlined, it costs one file read instead of ~15.
  noExternal: ['commander'],
});
