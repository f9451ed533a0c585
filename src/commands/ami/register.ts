import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';
import { durationFlag, positiveIntFlag } from '../../core/flag-values.js';

// The `claw ami` group: registration only; each action imports its module when it runs.
export function registerAmi(program: Command, withContext: WithContext): void {
  const ami = program
    .command('ami')
    .summary('NixOS AMIs: build, list, prune, lifecycle')
    .description('List, resolve, preserve and prune the AMIs owned by this account and tagged for the fleet (amiTag, default clawdinator=true).')
    .addHelpText('after', '\nExamples:\n  $ claw ami list\n  $ claw ami prune --keep 3\n  $ claw ami prune --keep 3 --apply --yes');

  ami
    .command('list')
    .description('Tagged AMIs, newest first: id, name, creation date, age, snapshot size, provenance, which hosts run it, latest/preserved markers.')
    .option('--keep <n>', 'add the keep-or-prune verdict for a prune keeping the newest N', positiveIntFlag('--keep'))
    .option('--ami <id>', 'treat this AMI as the latest (as a deploy would)')
    .option('--wide', 'every column, whatever the terminal width')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw ami list\n  $ claw ami list --keep 3 --json')
    .action(
      action(
        withContext,
        () => import('./list.js'),
        (m, ctx, opts: object) => m.list(ctx, opts),
      ),
    );

  ami
    .command('latest')
    .description('The AMI id a deploy or replace would use now, and why (an override from --ami, CLAW_AMI or claw.config.json wins).')
    .option('--ami <id>', 'an explicit AMI (must exist)')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExample:\n  $ claw ami latest --json')
    .action(
      action(
        withContext,
        () => import('./list.js'),
        (m, ctx, opts: object) => m.latest(ctx, opts),
      ),
    );

  ami
    .command('prune')
    .description(
      'Deregister old tagged AMIs and delete their snapshots. Keeps the newest N, every AMI behind a pending/running/stopping/stopped instance, preserved ones, ones younger than --min-age, and the latest. A dry run unless --apply.',
    )
    .option('--keep <n>', 'keep the newest N tagged AMIs (default: config amiKeep, 6)', positiveIntFlag('--keep'))
    .option('--min-age <duration>', 'also keep AMIs younger than this (e.g. 7d, 12h)', durationFlag('--min-age'))
    .option('--apply', 'execute the plan (asks first; --yes without a terminal)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--resume', 'finish an interrupted prune from its journal')
    .option('--ami <id>', 'treat this AMI as the latest')
    .option('--json', 'print the plan (and results) as one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw ami prune --keep 3\n  $ claw ami prune --keep 3 --min-age 7d --apply --yes\n  $ claw ami prune --resume --yes')
    .action(
      action(
        withContext,
        () => import('./prune.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );

  ami
    .command('preserve')
    .argument('<ami-id>', 'the AMI to keep past the retention window')
    .description('Tag an AMI clawdinator:preserve so no prune removes it (a rollback target older than the window).')
    .option('--reason <text>', 'why (stored as the tag value)')
    .option('--dry-run', 'show the plan only')
    .addHelpText('after', '\nExample:\n  $ claw ami preserve ami-0123456789abcdef0 --reason "last good before the Nix 25.05 bump"')
    .action(
      action(
        withContext,
        () => import('./preserve.js'),
        (m, ctx, id: string, opts: object) => m.preserve(ctx, id, opts),
      ),
    );

  ami
    .command('unpreserve')
    .argument('<ami-id>', 'the AMI to release')
    .description('Remove the clawdinator:preserve tag; prune may then remove the AMI.')
    .option('--dry-run', 'show the plan only')
    .addHelpText('after', '\nExample:\n  $ claw ami unpreserve ami-0123456789abcdef0')
    .action(
      action(
        withContext,
        () => import('./preserve.js'),
        (m, ctx, id: string, opts: object) => m.unpreserve(ctx, id, opts),
      ),
    );

  ami
    .command('lifecycle')
    .description(
      "The images bucket's S3 lifecycle: expire uploaded images (clawdinator-nixos-*) after N days, their noncurrent versions after 7 days and incomplete uploads after 1 day. Shows the current rules and the diff; --apply writes them, keeping every rule whose ID does not start with claw-.",
    )
    .option('--days <n>', 'expire uploaded images after N days (default: config lifecycleDays, 30)', positiveIntFlag('--days', 3650, 30))
    .option('--apply', 'write the rules (asks first; --yes without a terminal)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw ami lifecycle\n  $ claw ami lifecycle --days 14 --apply --yes\n  $ claw ami lifecycle --json | jq .changes')
    .action(
      action(
        withContext,
        () => import('./lifecycle.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );

  ami
    .command('build')
    .summary('build the NixOS image, upload it, import it and register a tagged AMI (resumable)')
    .description(
      'Build the image with nix (config imageAttribute, or --host H: nixosConfigurations.H.config.system.build.images.amazon) unless --image is given; upload it to the images bucket with its sha256; ImportSnapshot with the vmimport role; RegisterImage; tag the AMI and its snapshot with provenance. Every step resumes: a re-run finds the uploaded object, the import task or the registered image and continues.',
    )
    .option('--host <host>', "build this host's image variant instead of config imageAttribute")
    .option('--image <path>', 'upload this image file instead of building one')
    .option('--format <format>', 'raw, vhd or vmdk (default: config imageFormat when set, else from the file extension)')
    .option('--prune-keep <n>', 'after a successful build, prune keeping the newest N', positiveIntFlag('--prune-keep', 1000))
    .option('-y, --yes', 'do not ask before the --prune-keep prune')
    .option('--dry-run', 'print the plan only (never builds)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw ami build\n  $ claw ami build --image ./result/nixos.img --dry-run\n  $ claw ami build --host clawdinator-1 --format vhd --json\n  $ claw ami build --prune-keep 6 --yes',
    )
    .action(async (opts: object, cmd: Command) => {
      const [{ run }, { pruneAfterBuild }] = await Promise.all([import('./build.js'), import('./prune.js')]);
      const { yes } = opts as { yes?: boolean };
      await withContext(cmd, (ctx) => run(ctx, opts, { pruneAfterBuild: (c, p) => pruneAfterBuild(c, { ...p, ...(yes !== undefined ? { yes } : {}) }) }));
    });
}
