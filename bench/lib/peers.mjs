// The peers the bench compares claw with, found where DESIGN.md says they live, and
// the one environment every process gets: minimal, explicit, the same for all peers,
// and pointing only at 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoVersion } from './moto.mjs';

const INSTALL = 'install it with `apt-get install awscli rclone`';

function versionOf(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C.UTF-8' } });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0] : undefined;
}

/**
 * { aws, rclone, moto, missing[] }: each peer is { bin, version } or undefined, and
 * every missing one has a loud line saying which and how to install it.
 */
export function findPeers(env = process.env) {
  const missing = [];
  let aws;
  // Overridable only to exercise the skip paths (e.g. CLAW_BENCH_AWS=/nonexistent).
  const awsBin = env.CLAW_BENCH_AWS || '/usr/bin/aws';
  if (!existsSync(awsBin)) missing.push({ peer: 'aws', line: `aws CLI v2 not found at ${awsBin}: the aws CLI comparisons are skipped; ${INSTALL}` });
  else {
    const v = versionOf(awsBin, ['--version']);
    if (!v) missing.push({ peer: 'aws', line: `${awsBin} --version failed: the aws CLI comparisons are skipped; ${INSTALL}` });
    else if (!/^aws-cli\/2\./.test(v))
      missing.push({ peer: 'aws', line: `${awsBin} is not the aws CLI v2 (${v}): the aws CLI comparisons are skipped; ${INSTALL}` });
    else aws = { bin: awsBin, version: v.split(' ')[0].replace('aws-cli/', '') };
  }

  let rclone;
  const rclonePath = env.CLAW_BENCH_RCLONE || '/usr/bin/rclone';
  const rcloneBin = existsSync(rclonePath) ? rclonePath : undefined;
  if (!rcloneBin) missing.push({ peer: 'rclone', line: `rclone not found at ${rclonePath}: the rclone check is skipped; ${INSTALL}` });
  else {
    const v = versionOf(rcloneBin, ['version']);
    if (!v) missing.push({ peer: 'rclone', line: `${rcloneBin} version failed: the rclone check is skipped; ${INSTALL}` });
    else rclone = { bin: rcloneBin, version: v.replace(/^rclone\s+v?/, '') };
  }

  let moto;
  const python = env.CLAW_BENCH_PYTHON || 'python3';
  const mv = motoVersion(python);
  if (!mv)
    missing.push({
      peer: 'moto',
      line: 'moto not found (python3 -m moto.server): every benchmark against an endpoint is skipped; install it with `pip install "moto[server]"`',
    });
  else moto = { version: mv, python };

  return { aws, rclone, moto, missing };
}

/** A fresh HOME with no AWS config in it, for every child process of this bench. */
export function benchHome() {
  return mkdtempSync(join(tmpdir(), 'claw-bench-'));
}

/**
 * The environment of every peer process: static test credentials, no AWS config files,
 * no instance metadata lookups, no proxies, no CA bundle (rclone refuses a CA bundle
 * on plain http), and nothing else from the caller's environment.
 */
export function peerEnv(home) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    AWS_PAGER: '',
    CLAW_HOME: join(home, '.claw'),
  };
}
