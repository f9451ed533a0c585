import { readStacks } from '../../aws/stacks.js';
import { stacksDocument, verdictLine } from '../../core/doctor-stacks.js';
import { parseDuration } from '../../core/flag-values.js';
import { RemoteError, UsageError } from '../../core/errors.js';
import { renderStacks } from '../../ui/doctor-stacks-text.js';
import type { Context } from '../../cli/context.js';

// `claw doctor stacks`: the CloudFormation stacks that hold a pipeline (failed, rolled
// back, rolling back, or stalled in progress), each with its reason and fix; exit 1 when
// there is any, like `claw doctor` with a failed check.

export interface DoctorStacksOptions {
  json?: boolean;
  stackPrefix?: string[];
  stalledAfter?: string;
  // `claw doctor`'s own flags: commander hands them to the parent command, so they arrive
  // here only when given to `doctor stacks`, where they mean nothing.
  stack?: string[];
  amiMaxAge?: string;
}

const PREFIX_RE = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
export const DEFAULT_STALLED_AFTER = '1h';

/** Flags first: bad input is exit 2 before any call. */
export function parseStacksOptions(opts: DoctorStacksOptions): { prefixes: string[]; stalledAfterMs: number } {
  if (opts.stack !== undefined)
    throw new UsageError(
      '--stack is an option of claw doctor (backup freshness), not of claw doctor stacks',
      'to choose CloudFormation stacks, use --stack-prefix',
    );
  if (opts.amiMaxAge !== undefined)
    throw new UsageError('--ami-max-age is an option of claw doctor, not of claw doctor stacks', 'run claw doctor --ami-max-age ... on its own');
  const prefixes = [...new Set(opts.stackPrefix ?? [])];
  for (const p of prefixes) {
    if (!PREFIX_RE.test(p)) {
      throw new UsageError(
        `--stack-prefix ${JSON.stringify(p)}: not the start of a stack name`,
        'stack names are letters, digits and hyphens, starting with a letter (e.g. openclaw-lab-)',
      );
    }
  }
  return { prefixes, stalledAfterMs: parseDuration(opts.stalledAfter ?? DEFAULT_STALLED_AFTER, '--stalled-after') };
}

export async function run(ctx: Context, opts: DoctorStacksOptions): Promise<void> {
  const { prefixes, stalledAfterMs } = parseStacksOptions(opts);
  const now = ctx.now();
  const { cloudformation } = await ctx.clients();
  const report = await readStacks(cloudformation, { prefixes, now, stalledAfterMs });
  const doc = stacksDocument(ctx.target.region, report.checked, report.stacks);
  ctx.result(opts, doc, () => renderStacks(doc, now, ctx.paint));
  if (!doc.ok) {
    throw new RemoteError(
      `${verdictLine(doc)}: ${doc.stacks.map((s) => s.stackName).join(', ')}`,
      opts.json ? "each stack's remedy says how to fix it" : 'each block above says how to fix it',
    );
  }
}
