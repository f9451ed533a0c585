import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// The `claw bootstrap` group: registration only; each action imports its module when it runs.
export function registerBootstrap(program: Command, withContext: WithContext): void {
  const bootstrap = program
    .command('bootstrap')
    .summary('per-host bootstrap bundles in S3')
    .description(
      "Build, upload and verify each host's bootstrap bundles under s3://<bootstrapBucket>/<bootstrapPrefix>/: secrets.tar.zst (clawdinator.agekey and secrets/*.age with only the host's own Discord token) and repo-seeds.tar.zst. Bundles are deterministic, so one S3 already holds byte for byte is not uploaded again (--force uploads it anyway).",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw bootstrap upload all --dry-run\n  $ claw bootstrap upload clawdinator-1,clawdinator-2\n  $ claw bootstrap verify all --json',
    );

  bootstrap
    .command('upload')
    .argument('<target>', 'a host, a comma list of hosts, or all')
    .description(
      "Build each target's bundles, check them (own token present, no other host's token, every required secret), show the plan, and upload the changed ones. A host whose bundle breaks a rule is refused (exit 3): the file is named, never its content.",
    )
    .option('--dry-run', 'show the plan only')
    .option('--from-s3', 'take the secrets from s3://<bootstrapBucket>/age-secrets/ instead of nix/age-secrets/')
    .option('--force', 'upload every bundle again, even those S3 already holds as built')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      "\nExamples:\n  $ claw bootstrap upload all --dry-run\n  $ claw bootstrap upload clawdinator-1 --from-s3\n  $ claw bootstrap upload all --json | jq '.hosts[] | {host, action}'",
    )
    .action(
      action(
        withContext,
        () => import('./bundles.js'),
        (m, ctx, target: string, opts: object) => m.upload(ctx, target, opts),
      ),
    );

  bootstrap
    .command('verify')
    .argument('<target>', 'a host, a comma list of hosts, or all')
    .description(
      "Download each target's bundles and check them: present, body matching its sha256 metadata, a valid zstd tar with sorted entries, the host's own token, no other host's, every required secret. Any failure exits 3.",
    )
    .option('--from-s3', 'the secrets come from s3://<bootstrapBucket>/age-secrets/ (for the re-upload command a failure prints)')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw bootstrap verify all\n  $ claw bootstrap verify clawdinator-2 --json')
    .action(
      action(
        withContext,
        () => import('./bundles.js'),
        (m, ctx, target: string, opts: object) => m.verify(ctx, target, opts),
      ),
    );
}
