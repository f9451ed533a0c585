import {
  failureReasons,
  latestOperation,
  parseExportsInUse,
  primaryReason,
  resourcesLastIn,
  type ExportInUse,
  type FailureReason,
  type StackEventInfo,
} from './stack-events.js';
import { classifyExportValue, exportRemedy, type ExportValueKind } from './stack-exports.js';
import { isStuck, stackPhase, statusAdvice, statusSince, type StackPhase } from './stack-status.js';

// `claw doctor stacks` as data: the stacks that hold a pipeline, each with what its
// status means, why it got there (the failure reasons of its latest operation), the
// exports in use that caused it, and the numbered remedy. No I/O (src/aws/stacks.ts reads).

/** One stack as ListStacks reports it (times ISO, absent values null). */
export interface StackListing {
  stackName: string;
  stackId: string;
  status: string;
  statusReason: string | null;
  creationTime: string;
  lastUpdatedTime: string | null;
  deletionTime: string | null;
  parentId: string | null;
  rootId: string | null;
}

export interface ExportFinding {
  exportName: string;
  operation: ExportInUse['operation'];
  /** The export's current value; null when ListExports no longer has it. */
  value: string | null;
  valueKind: ExportValueKind | null;
  /** What the value is and why exporting it hurts, e.g. "a task-definition revision ARN (family openclaw, revision 42: ...)". */
  valueNote: string | null;
  /** Who imports it now (ListImports). */
  importers: string[];
}

export interface StackDiagnosis {
  stackName: string;
  stackId: string;
  status: string;
  phase: StackPhase;
  /** When the status began (ISO). */
  since: string;
  meaning: string;
  /** A nested stack's top-level stack: the one to act on. */
  nestedIn: string | null;
  /** The reason to lead with; null when none was found. */
  reason: string | null;
  /** Every failure reason of the latest operation, oldest first. */
  reasons: FailureReason[];
  exportsInUse: ExportFinding[];
  /** The numbered steps. */
  remedy: string[];
}

/** The stack name in a stack ARN (arn:aws:cloudformation:r:a:stack/NAME/uuid), or the id itself. */
export const stackNameOf = (stackId: string) => /:stack\/([^/]+)\//.exec(stackId)?.[1] ?? stackId;

/** `2h10m`-style length of a stretch of time, for "running for ...". */
export function spanText(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return `${d}d${h > 0 ? `${h}h` : ''}`;
  if (h > 0) return `${h}h${min > 0 ? `${min}m` : ''}`;
  return `${min}m`;
}

/** Filter the listing to the stacks that hold a pipeline, by name. */
export function stuckStacks(listing: readonly StackListing[], now: Date, stalledAfterMs: number): StackListing[] {
  return listing.filter((s) => isStuck(s, now, stalledAfterMs)).sort((a, b) => a.stackName.localeCompare(b.stackName));
}

/** The exports a stack's events say are in use (deduplicated by name; importers merged). */
export function exportsInUseOf(reasons: readonly FailureReason[]): ExportInUse[] {
  const by = new Map<string, ExportInUse>();
  for (const r of reasons) {
    for (const u of parseExportsInUse(r.reason)) {
      const seen = by.get(u.exportName);
      by.set(u.exportName, seen ? { ...seen, importers: [...new Set([...seen.importers, ...u.importers])] } : u);
    }
  }
  return [...by.values()];
}

export interface DiagnoseInput {
  stack: StackListing;
  /** Its events, newest first (at least back to the start of the latest operation). */
  events: readonly StackEventInfo[];
  /** Current export values by name (ListExports). */
  exportValues: ReadonlyMap<string, string>;
  /** Current importers by export name (ListImports); a missing entry means none. */
  importers: ReadonlyMap<string, readonly string[]>;
  now: Date;
}

export function diagnoseStack(i: DiagnoseInput): StackDiagnosis {
  const { stack } = i;
  const phase = stackPhase(stack.status);
  const since = statusSince(stack);
  const operation = latestOperation(i.events, stack.stackName);
  const reasons = failureReasons(operation, stack.stackName);
  const lead = primaryReason(reasons, stack.stackName);
  const uses = exportsInUseOf(reasons);
  const exportsInUse = uses.map((u): ExportFinding => {
    const value = i.exportValues.get(u.exportName) ?? null;
    const kind = value === null ? null : classifyExportValue(value);
    return {
      exportName: u.exportName,
      operation: u.operation,
      value,
      valueKind: kind?.kind ?? null,
      valueNote: kind ? `${kind.noun} (${kind.why})` : null,
      importers: [...(i.importers.get(u.exportName) ?? [])].sort(),
    };
  });
  // The resources continue-update-rollback may skip, or a delete may retain.
  const stuckResources = resourcesLastIn(operation, stack.stackName, stack.status === 'DELETE_FAILED' ? 'DELETE_FAILED' : 'UPDATE_FAILED');
  const advice = statusAdvice(stack.stackName, stack.status, stuckResources, spanText(i.now.getTime() - Date.parse(since)));
  const root = stack.rootId && stack.rootId !== stack.stackId ? stackNameOf(stack.rootId) : null;
  let remedy: string[];
  if (root !== null) {
    remedy = [`this is a nested stack of ${root}: act on ${root}, never on the nested stack itself`];
  } else if (exportsInUse.length > 0) {
    // The exports' steps are the fix of the cause: they take the place of "deploy again".
    remedy = [...advice.steps, ...exportRemedy(stack.stackName, exportsInUse)];
  } else {
    remedy = [...advice.steps, ...(advice.retry ? [advice.retry] : [])];
  }
  return {
    stackName: stack.stackName,
    stackId: stack.stackId,
    status: stack.status,
    phase,
    since,
    meaning: advice.meaning,
    nestedIn: root,
    reason: lead?.reason ?? stack.statusReason,
    reasons,
    exportsInUse,
    remedy,
  };
}

export interface StacksDocument {
  region: string;
  /** Stacks looked at (after --stack-prefix), deleted ones not counted. */
  checked: number;
  ok: boolean;
  stacks: StackDiagnosis[];
}

export function stacksDocument(region: string, checked: number, stacks: readonly StackDiagnosis[]): StacksDocument {
  return { region, checked, ok: stacks.length === 0, stacks: [...stacks].sort((a, b) => a.stackName.localeCompare(b.stackName)) };
}

/** "2 of 5 stacks in a failed or rollback state" (", or stalled" when some only run too long). */
export function verdictLine(doc: StacksDocument): string {
  const stalled = doc.stacks.some((d) => d.phase === 'in-progress') ? ', or stalled' : '';
  return `${doc.stacks.length} of ${doc.checked} stack${doc.checked === 1 ? '' : 's'} in a failed or rollback state${stalled}`;
}

/** Does `name` start with one of the prefixes (none: every stack)? */
export const matchesPrefix = (name: string, prefixes: readonly string[]) => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p));
