import type { HostOutcome, RolloutPlan, RolloutResult } from './rollout.js';

// What a deploy or rollback plans and reports (services/deploy makes them; ui/deploy-text
// renders them; the --json document is the report itself).

/** The plan as shown before anything is changed. */
export interface DeployPlanView {
  verb: 'deploy' | 'rollback';
  targetLabel: string;
  rev: string;
  revNote: string;
  flakeExample: string;
  eval: boolean;
  bootstrap: boolean;
  bucket: string;
  plan: RolloutPlan;
  hosts: { host: string; instanceId: string; currentRev: string | null }[];
}

export interface HostReportRow {
  host: string;
  instanceId: string | null;
  role: string;
  status: HostOutcome;
  reason: string | null;
  outputTail: string[];
  timedOut: boolean;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface DeployReport {
  verb: 'deploy' | 'rollback';
  mode: 'dry-run' | 'deploy';
  target: string;
  rev: string;
  outcome: RolloutResult['outcome'] | 'planned';
  firstFailure: string | null;
  uploaded: string[];
  hosts: HostReportRow[];
}
