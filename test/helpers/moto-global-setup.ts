import type { TestProject } from 'vitest/node';
import { motoUnavailableReason, startMoto } from './moto.js';

// vitest globalSetup: one moto server for the whole run, handed to the test files as
// inject('motoEndpoint'). Without moto the moto half of the contract suite skips
// loudly, except under CI=true, where a missing moto fails the run.

declare module 'vitest' {
  export interface ProvidedContext {
    /** The moto endpoint (http://127.0.0.1:<port>), or null when moto is not available. */
    motoEndpoint: string | null;
    /** Why moto is not available (null when it is). */
    motoSkipReason: string | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const reason = await motoUnavailableReason();
  if (reason !== null) {
    if (process.env.CI === 'true') throw new Error(`moto is required under CI=true: ${reason}`);
    const line = '!'.repeat(78);
    console.warn(`\n${line}\n!! moto is not available: ${reason}\n!! The moto half of the contract tests is SKIPPED. Under CI=true this fails.\n${line}\n`);
    project.provide('motoEndpoint', null);
    project.provide('motoSkipReason', reason);
    return undefined;
  }
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('motoSkipReason', null);
  return () => moto.stop();
}
