import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen, type TmuxSession } from '../helpers/tmux.js';

// Every `npx claw ...` line of the README's shell blocks, typed as written in a real
// terminal (tmux) in the clone, one after another on one fresh sandbox, with this
// machine's own node first on PATH: each must end with exit 0. Questions are answered
// y, the dashboard is left with q. (`npm link` installs globally: not run here.)

const tty = tmuxAvailable();
const npx = spawnSync('npx', ['--version']).status === 0;
if (process.env.CI === 'true' && !tty) throw new Error('tmux is required under CI=true');
if (!tty || !npx) console.warn('SKIPPED README examples: they need tmux and npx');

const examples = readFileSync(join(ROOT, 'README.md'), 'utf8')
  .split(/^```sh\n/m)
  .slice(1)
  .flatMap((block) => block.slice(0, block.indexOf('```')).split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line.startsWith('npx claw '));

let session: TmuxSession | undefined;
afterEach(() => session?.kill());

describe.skipIf(!tty || !npx)('the README examples, as written', () => {
  it('finds the headline usages among them', () => {
    for (const usage of ['deploy clawdinator-babelfish', 'ami prune --keep 3', 'spot prices', 'tui']) {
      expect(examples).toContain(`npx claw --sandbox ${usage}`);
    }
  });

  it('each runs to exit 0 on one fresh sandbox, in order', async () => {
    const home = tempDir('claw-readme-');
    const path = `/usr/bin:${process.env.PATH ?? ''}`;
    for (const [n, line] of examples.entries()) {
      session?.kill();
      const cmd = `cd ${ROOT} && env HOME=${home} CLAW_HOME=${home}/.claw PATH='${path}' ${line}; echo "EXIT=$?"; sleep 120`;
      const s = startTmux(`readme-${n}-${randomBytes(2).toString('hex')}`, cmd, { cols: 160, rows: 50 });
      session = s;
      // A question waits on the last line of the screen: answer it, then wait for it to go.
      const lastLine = (x: string) => x.trimEnd().split('\n').at(-1) ?? '';
      const asking = (x: string) => /\[y\/N\]\s*$/.test(lastLine(x));
      let screen: string;
      for (;;) {
        screen = await waitForScreen(s, (x) => x.includes('EXIT=') || asking(x) || x.includes('j/k move'), 90_000);
        if (screen.includes('EXIT=')) break;
        if (screen.includes('j/k move')) {
          await waitForScreen(s, (x) => x.includes('clawdinator-scratch'), 30_000);
          s.keys('q');
          await waitForScreen(s, (x) => x.includes('EXIT='), 20_000);
          continue;
        }
        if (!asking(screen)) break; // timed out: the assertion below shows the screen
        const question = lastLine(screen);
        s.keys('y', 'Enter');
        await waitForScreen(s, (x) => lastLine(x) !== question, 30_000);
      }
      expect(screen, `${line}\n${screen}`).toMatch(/EXIT=0/);
    }
  }, 600_000);
});
