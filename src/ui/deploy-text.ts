import type { DeployPlanView, DeployReport, HostReportRow } from '../core/deploy-report.js';
import type { HostOutcome } from '../core/rollout.js';
import type { Styler } from './style.js';

// Plain-text plan and result of `claw deploy` / `claw rollback`, and the --json document.

const short = (rev: string | null) => (rev ? rev.slice(0, 12) : 'none');

export function renderDeployPlan(v: DeployPlanView): string {
  const byHost = new Map(v.hosts.map((h) => [h.host, h]));
  const rows = v.plan.batches.flatMap((batch, i) =>
    batch.map((host) => {
      const h = byHost.get(host);
      const role = v.plan.canaries.includes(host) ? 'canary ' : `batch ${i + 1}`;
      return `       ${role}  ${host.padEnd(24)} ${h?.instanceId ?? '?'}  ${short(h?.currentRev ?? null)} -> ${short(v.rev)}`;
    }),
  );
  let n = 0;
  const step = (text: string) => `  ${++n}. ${text}`;
  return [
    `${v.verb}: ${v.targetLabel}`,
    `rev:    ${v.rev} (${v.revNote})`,
    `flake:  ${v.flakeExample}`,
    'steps:',
    step(v.eval ? `nix eval of ${v.hosts.length} host${v.hosts.length === 1 ? '' : 's'} at the rev; any failure stops here` : 'nix eval: skipped (--no-eval)'),
    step(v.bootstrap ? `bootstrap bundles to s3://${v.bucket}/ (unchanged ones are not uploaded)` : 'bootstrap upload: skipped (--no-bootstrap)'),
    step(`take the deploy lock (s3://${v.bucket}/claw/deploy.lock)`),
    step('check again that each host is exactly one instance and that SSM reaches it'),
    step(`roll out${v.plan.parallel > 1 ? `, ${v.plan.parallel} at a time after the canaries` : ''}, stopping at the first failure:`),
    ...rows,
    step('tag each deployed instance clawdinator:rev and clawdinator:deployed-at; one history record per host'),
    step('release the lock (also on failure and Ctrl-C)'),
  ].join('\n');
}

const seconds = (r: HostReportRow) =>
  r.startedAt && r.finishedAt ? `${Math.max(0, Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000))}s` : '';

export function renderDeployResult(r: DeployReport, paint: Styler): string {
  const colour = { succeeded: 'green', failed: 'red', skipped: 'yellow' } as const;
  const lines = r.hosts.flatMap((h) => [
    `${h.host.padEnd(24)} ${paint(colour[h.status], h.status.padEnd(9))} ${seconds(h).padStart(5)}  ${h.reason ?? ''}`.trimEnd(),
    ...h.outputTail.map((l) => `    | ${l}`),
  ]);
  const count = (s: HostOutcome) => r.hosts.filter((h) => h.status === s).length;
  const summary = `${count('succeeded')} succeeded, ${count('failed')} failed, ${count('skipped')} skipped`;
  const head =
    r.outcome === 'succeeded'
      ? `${r.verb} of ${r.rev} succeeded on ${r.target}: ${summary}`
      : r.outcome === 'failed'
        ? `${r.verb} of ${r.rev} failed at ${r.firstFailure}: ${summary}`
        : `${r.verb} of ${r.rev} was interrupted: ${summary}`;
  return [...lines, head].join('\n');
}
