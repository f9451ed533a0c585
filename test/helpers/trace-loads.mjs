// Loaded with `node --import`: records every module URL the process resolves into the
// file named by CLAW_TRACE_LOADS, so a test can prove what start-up does not load.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.CLAW_TRACE_LOADS;
if (out) {
  registerHooks({
    resolve(specifier, context, next) {
      const result = next(specifier, context);
      appendFileSync(out, `${result.url}\n`);
      return result;
    },
  });
}
