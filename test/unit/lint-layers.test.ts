import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/claw.js';

// The lint rules that keep the layers apart (eslint.layers.js, the ones `npm run lint`
// applies to src/), fed a tree of violating files: each violation is an error, and the
// imports the layers allow are not.

const rules = (await import(pathToFileURL(join(ROOT, 'eslint.layers.js')).href)) as { layerRules: Linter.Config[]; cycleRule: Linter.Config };

async function lint(files: Record<string, string>): Promise<Record<string, string[]>> {
  const dir = tempDir('claw-lint-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.{ts,tsx}'], languageOptions: { parser: tseslint.parser as Linter.Parser } }, rules.cycleRule, ...rules.layerRules],
  });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  return Object.fromEntries(results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => `${m.ruleId}: ${m.message}`)]));
}

const leaf = 'export const x = 1;\nexport type T = number;\n';

describe('lint: layers and cycles', () => {
  it('a layer importing what it may not is an error; what it may is not', async () => {
    const found = await lint({
      'src/core/plan.ts': "import { x } from '../aws/images.js';\nexport const y = x;\n",
      'src/core/ok.ts': "import { x } from './leaf.js';\nexport const y = x;\n",
      'src/core/leaf.ts': leaf,
      'src/aws/images.ts': leaf,
      'src/aws/render.ts': "import { Text } from 'ink';\nexport const t = Text;\n",
      'src/aws/local.ts': "import { x } from '../nix/git.js';\nexport const y = x;\n",
      'src/nix/git.ts': leaf,
      'src/ui/table.ts': "import { x } from '../aws/images.js';\nimport { x as c } from '../core/leaf.js';\nexport const y = x + c;\n",
      'src/ui/dashboard/view.ts': "import { x } from '../../sandbox/world.js';\nexport const y = x;\n",
      'src/sandbox/world.ts': "import type { T } from '../aws/clients.js';\nexport const x: T = 1;\n",
      'src/sandbox/calls.ts': "import { x } from '../aws/clients.js';\nexport const y = x;\n",
      'src/sandbox/other.ts': "import type { T } from '../aws/images.js';\nexport const y: T = 1;\n",
      'src/aws/clients.ts': leaf,
      'src/services/deploy.ts': "import { x } from '../ui/table.js';\nimport { x as a } from '../aws/images.js';\nexport const y = x + a;\n",
      'src/fs/lock.ts': "import { x } from '../cli/context.js';\nexport const y = x;\n",
      'src/cli/context.ts': leaf,
      'src/cli/report-error.ts': leaf,
      'src/commands/deploy/deploy.ts':
        "import { x } from '../tui/actions.js';\nimport { x as c } from '../../cli/context.js';\nimport { x as d } from './rollback.js';\nexport const y = x + c + d;\n",
      'src/commands/deploy/rollback.ts': "import { x } from '../../cli/report-error.js';\nexport const y = x;\n",
      'src/commands/tui/actions.ts': "import { x } from '../../services/deploy.js';\nexport const y = x;\n",
    });
    const restricted = (file: string) => found[file]!.filter((m) => m.startsWith('no-restricted-imports')).length;
    expect(restricted('src/core/plan.ts')).toBe(1);
    expect(found['src/core/ok.ts']).toEqual([]);
    expect(restricted('src/aws/render.ts')).toBe(1);
    expect(found['src/aws/render.ts']!.join()).toMatch(/never renders/);
    expect(restricted('src/aws/local.ts')).toBe(1);
    expect(restricted('src/ui/table.ts')).toBe(1);
    expect(restricted('src/ui/dashboard/view.ts')).toBe(1);
    expect(found['src/sandbox/world.ts']).toEqual([]);
    expect(restricted('src/sandbox/calls.ts')).toBe(1);
    expect(restricted('src/sandbox/other.ts')).toBe(1);
    expect(found['src/services/deploy.ts']).toEqual([expect.stringMatching(/^no-restricted-imports: .*ui\/table\.js/)]);
    expect(restricted('src/fs/lock.ts')).toBe(1);
    // A command group imports neither another group nor more of the cli than its context.
    expect(found['src/commands/deploy/deploy.ts']).toEqual([expect.stringMatching(/^no-restricted-imports: .*tui\/actions\.js.*another command group/)]);
    expect(restricted('src/commands/deploy/rollback.ts')).toBe(1);
    expect(found['src/commands/tui/actions.ts']).toEqual([]);
  });

  it('an import cycle is an error', async () => {
    const found = await lint({
      'src/aws/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/aws/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'src/aws/c.ts': "import { a } from './a.js';\nexport const c = a;\n",
    });
    expect(found['src/aws/a.ts']).toEqual([expect.stringMatching(/^import-x\/no-cycle/)]);
    expect(found['src/aws/b.ts']).toEqual([expect.stringMatching(/^import-x\/no-cycle/)]);
    expect(found['src/aws/c.ts']).toEqual([]);
  });
});
