import type { ExportInUse } from './stack-events.js';

// An export another stack imports cannot change or go: CloudFormation refuses and rolls
// the producer back. The usual cause with CDK is an export of a value that changes on
// every deploy (a task-definition revision ARN, an AMI id). Here: what kind of value it
// is, and the way out: a stable name or an SSM parameter, consumers updated first.

export type ExportValueKind = 'task-definition-revision' | 'ami-id' | 'lambda-version' | 'image-digest' | 'versioned' | 'other';

export interface ExportValue {
  kind: ExportValueKind;
  /** What the value is, e.g. "a task-definition revision ARN". */
  noun: string;
  /** Why it is a problem to export, e.g. "family openclaw, revision 42: a new revision every deploy". */
  why: string;
  /** Changes on every deploy (or build). */
  perDeploy: boolean;
  /** The stable thing to pass instead, in words. */
  stable: string;
}

const SSM =
  'an SSM parameter holding the current value, read by the consumer at deploy time ({{resolve:ssm:<name>}}, or a CDK StringParameter.valueForStringParameter)';

const TASK_DEF_RE = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]+):(\d+)$/;
const AMI_RE = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const LAMBDA_VERSION_RE = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:(function|layer):([A-Za-z0-9_-]+):(\d+)$/;
const DIGEST_RE = /@sha256:[0-9a-f]{64}$/;
// An ARN ending in a revision (…:name:42, …/name/42), or a build stamp (20260304083456,
// 2026-03-04T08…) anywhere. Not any trailing number: host:5432 is a port, not a version.
const VERSIONED_RE = /^arn:.*[:/][A-Za-z][\w.-]*[:/]\d+$|\d{14}|\d{4}-\d{2}-\d{2}T\d{2}/;

export function classifyExportValue(value: string): ExportValue {
  const td = TASK_DEF_RE.exec(value);
  if (td) {
    return {
      kind: 'task-definition-revision',
      noun: 'a task-definition revision ARN',
      why: `family ${td[1]}, revision ${td[2]}: a new revision every deploy`,
      perDeploy: true,
      stable: `the family name "${td[1]}" (ECS runs its latest ACTIVE revision), or ${SSM}`,
    };
  }
  if (AMI_RE.test(value)) {
    return {
      kind: 'ami-id',
      noun: 'an AMI id',
      why: 'a new one every image build',
      perDeploy: true,
      stable: `${SSM.replace('the current value', 'the current AMI id')}; for an AMI, a parameter of type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`,
    };
  }
  const fn = LAMBDA_VERSION_RE.exec(value);
  if (fn) {
    const layer = fn[1] === 'layer';
    return {
      kind: 'lambda-version',
      noun: `a Lambda ${layer ? 'layer' : 'function'} version ARN`,
      why: `${fn[2]}, version ${fn[3]}: a new version every publish`,
      perDeploy: true,
      stable: layer ? SSM : `the function's name or an alias ARN (…:function:${fn[2]}:live), or ${SSM}`,
    };
  }
  if (DIGEST_RE.test(value)) {
    return {
      kind: 'image-digest',
      noun: 'a container image digest',
      why: 'a new one every build',
      perDeploy: true,
      stable: `the repository URI with a fixed tag, or ${SSM}`,
    };
  }
  if (VERSIONED_RE.test(value)) {
    return {
      kind: 'versioned',
      noun: 'a versioned value',
      why: 'it carries a revision number or a build stamp',
      perDeploy: true,
      stable: `a name without the version, or ${SSM}`,
    };
  }
  return { kind: 'other', noun: 'a plain value', why: 'not one that changes every deploy', perDeploy: false, stable: SSM };
}

export interface ExportFindingInput {
  exportName: string;
  operation: ExportInUse['operation'];
  /** The export's current value (ListExports); null when it is gone. */
  value: string | null;
  /** Who imports it now (ListImports); empty when nothing does any more. */
  importers: readonly string[];
}

/** What to change so this export stops holding the producer; null when nothing imports it any more. */
function changeStep(producer: string, f: ExportFindingInput): string | null {
  const name = f.exportName;
  if (f.importers.length === 0) return null;
  const consumers = f.importers.join(', ');
  if (f.operation === 'delete') {
    return `make ${consumers} stop importing ${name}, and keep ${producer} exporting it until they have (in CDK: this.exportValue(...) pins it)`;
  }
  const kind = f.value === null ? null : classifyExportValue(f.value);
  if (kind?.perDeploy) return `stop passing ${kind.noun} through the export ${name}: pass ${kind.stable}`;
  return `${name} changed value while imported (a replaced resource?): pass it through ${SSM}, or pin the export at its current value while the consumers move (in CDK: this.exportValue(...))`;
}

/**
 * The numbered way out of exports in use, consumers before the producer. A consumer is
 * deployed on its own so the producer (a dependency) is not deployed with it and refused
 * again.
 */
export function exportRemedy(producer: string, findings: readonly ExportFindingInput[]): string[] {
  const changes = findings.flatMap((f) => changeStep(producer, f) ?? []);
  const consumers = [...new Set(findings.flatMap((f) => f.importers))].sort();
  if (consumers.length === 0) {
    const names = findings.map((f) => f.exportName).join(', ');
    return [`nothing imports ${names} any more: deploy ${producer} again`];
  }
  const one = consumers.length === 1;
  const exclusively = consumers.map((s) => `cdk deploy ${s} --exclusively`).join('; ');
  return [
    ...changes,
    `update the consumer${one ? '' : 's'} first: deploy ${consumers.join(', ')} with that change, on ${one ? 'its' : 'their'} own (${exclusively})`,
    `then deploy the producer ${producer}: with nothing importing ${findings.length === 1 ? 'the export' : 'them'}, ${findings.length === 1 ? 'it' : 'they'} can change or go`,
  ];
}
