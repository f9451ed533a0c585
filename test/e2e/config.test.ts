import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir } from '../helpers/claw.js';

function repoCopy(config?: unknown): string {
  const dir = join(tempDir('claw-repo-'), 'clawdinators');
  cpSync(FIXTURE_REPO, dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, 'claw.config.json'), JSON.stringify(config));
  return dir;
}

describe('claw config', () => {
  it('shows defaults, the file, the environment and flags, each with its source', async () => {
    const repo = repoCopy({ amiKeep: 3, imagesBucket: 'file-bucket' });
    const r = await runClaw(['config', '--json', '--region', 'us-east-1'], {
      cwd: join(repo, 'nix', 'hosts'),
      env: { CLAW_IMAGES_BUCKET: 'env-bucket', AWS_PROFILE: 'ops' },
    });
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.repo).toEqual({ root: repo, via: 'discovered' });
    expect(out.config).toMatchObject({
      region: 'us-east-1',
      amiKeep: 3,
      imagesBucket: 'env-bucket',
      profile: 'ops',
      flakeBase: 'github:openclaw/clawdinators',
    });
    expect(out.sources.region).toEqual({ source: 'flag', origin: '--region' });
    expect(out.sources.imagesBucket).toEqual({ source: 'env', origin: 'CLAW_IMAGES_BUCKET' });
    expect(out.sources.amiKeep).toEqual({ source: 'file', origin: 'claw.config.json' });
    expect(out.sources.canaryOrder).toEqual({ source: 'default', origin: 'default' });
    expect(r.stderr).toBe('');
  });

  it('prints a readable table on a pipe, without colour', async () => {
    const r = await runClaw(['config', '--repo', repoCopy()], { env: { NO_COLOR: undefined } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^KEY\s+VALUE\s+SOURCE$/m);
    expect(r.stdout).toMatch(/^region\s+eu-central-1\s+default$/m);
    expect(r.stdout).toMatch(/^canaryOrder\s+clawdinator-1,clawdinator-2\s+default$/m);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('works outside a repo and says none was found', async () => {
    const r = await runClaw(['config'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('repo:    none');
  });
});
