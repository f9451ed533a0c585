import type { Ec2Api } from '../aws/clients.js';
import { imageOps } from './ec2-images.js';
import { importOps } from './ec2-import.js';
import { instanceOps } from './ec2-instances.js';
import { registerOps } from './ec2-register.js';
import { snapshotOps } from './ec2-snapshots.js';
import { spotOps } from './ec2-spot.js';
import { tagOps } from './ec2-tags.js';
import type { SandboxWorld } from './world.js';

// The sandbox's EC2: one file per group of operations, all over the same state.

export function createEc2(world: SandboxWorld): Ec2Api {
  return {
    ...instanceOps(world),
    ...imageOps(world),
    ...registerOps(world),
    ...snapshotOps(world),
    ...tagOps(world),
    ...importOps(world),
    ...spotOps(world),
  };
}
