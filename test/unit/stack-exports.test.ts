import { describe, expect, it } from 'vitest';
import { classifyExportValue, exportRemedy } from '../../src/core/stack-exports.js';

// src/core/stack-exports.ts: what kind of value an export holds, and the way out of an
// export in use (a stable name or an SSM parameter; consumers before the producer).

describe('classifyExportValue', () => {
  it('a task-definition revision ARN, in any partition', () => {
    expect(classifyExportValue('arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42')).toMatchObject({
      kind: 'task-definition-revision',
      noun: 'a task-definition revision ARN',
      why: 'family openclaw, revision 42: a new revision every deploy',
      perDeploy: true,
      stable: expect.stringMatching(/^the family name "openclaw" \(ECS runs its latest ACTIVE revision\), or an SSM parameter/),
    });
    expect(classifyExportValue('arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web_app-2:7').kind).toBe('task-definition-revision');
    // A task-definition family ARN without a revision is already stable.
    expect(classifyExportValue('arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw').kind).toBe('other');
  });

  it('an AMI id (8 or 17 hex digits), pointing at an SSM image parameter', () => {
    for (const id of ['ami-0e4b7d2c9a1f35b60', 'ami-12345678']) {
      expect(classifyExportValue(id)).toMatchObject({
        kind: 'ami-id',
        perDeploy: true,
        stable: expect.stringContaining('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>'),
      });
    }
    for (const notAmi of ['ami-xyz', 'ami-0E4B7D2C9A1F35B60', 'ami-123456789']) expect(classifyExportValue(notAmi).kind).not.toBe('ami-id');
  });

  it('Lambda function and layer versions; an alias is stable', () => {
    expect(classifyExportValue('arn:aws:lambda:eu-central-1:123456789012:function:resize:12')).toMatchObject({
      kind: 'lambda-version',
      noun: 'a Lambda function version ARN',
      stable: expect.stringContaining('alias ARN (…:function:resize:live)'),
    });
    expect(classifyExportValue('arn:aws:lambda:eu-central-1:123456789012:layer:deps:3')).toMatchObject({
      kind: 'lambda-version',
      noun: 'a Lambda layer version ARN',
    });
    expect(classifyExportValue('arn:aws:lambda:eu-central-1:123456789012:function:resize:live').kind).toBe('other');
  });

  it('an image digest, other versioned values; plain values and ports are not', () => {
    expect(classifyExportValue(`123456789012.dkr.ecr.eu-central-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`).kind).toBe('image-digest');
    expect(classifyExportValue('arn:aws:states:eu-central-1:123456789012:stateMachine:flow:7').kind).toBe('versioned');
    expect(classifyExportValue('s3://images/clawdinator-nixos-20260304083456.raw').kind).toBe('versioned');
    expect(classifyExportValue('build-2026-03-04T08:34:56Z').kind).toBe('versioned');
    for (const plain of [
      'vpc-0c1d2e3f4a5b6c7d8',
      'subnet-0a1b2c3d4e5f60718,subnet-0b2c3d4e5f6071829',
      'db.example.internal:5432',
      'arn:aws:iam::123456789012:role/deploy',
      'openclaw-lab',
    ]) {
      expect(classifyExportValue(plain), plain).toMatchObject({ kind: 'other', perDeploy: false });
    }
  });
});

describe('exportRemedy', () => {
  const taskDef = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42';

  it('a per-deploy value: pass a stable name, the consumer first, then the producer', () => {
    expect(exportRemedy('infra', [{ exportName: 'infra:TaskDefinitionArn', operation: 'update', value: taskDef, importers: ['service'] }])).toEqual([
      expect.stringMatching(/^stop passing a task-definition revision ARN through the export infra:TaskDefinitionArn: pass the family name "openclaw"/),
      'update the consumer first: deploy service with that change, on its own (cdk deploy service --exclusively)',
      'then deploy the producer infra: with nothing importing the export, it can change or go',
    ]);
  });

  it('several exports and consumers: every change, each consumer once (sorted), one producer step', () => {
    const steps = exportRemedy('infra', [
      { exportName: 'infra:Ami', operation: 'update', value: 'ami-0e4b7d2c9a1f35b60', importers: ['web', 'api'] },
      { exportName: 'infra:Bucket', operation: 'delete', value: 'bucket-1', importers: ['api'] },
    ]);
    expect(steps).toHaveLength(4);
    expect(steps[0]).toMatch(/^stop passing an AMI id through the export infra:Ami/);
    expect(steps[1]).toBe('make api stop importing infra:Bucket, and keep infra exporting it until they have (in CDK: this.exportValue(...) pins it)');
    expect(steps[2]).toBe(
      'update the consumers first: deploy api, web with that change, on their own (cdk deploy api --exclusively; cdk deploy web --exclusively)',
    );
    expect(steps[3]).toBe('then deploy the producer infra: with nothing importing them, they can change or go');
  });

  it('a plain value that changed (a replaced resource), or an export already gone: SSM or pin it', () => {
    for (const value of ['sg-0123456789abcdef0', null]) {
      expect(exportRemedy('net', [{ exportName: 'net:Sg', operation: 'update', value, importers: ['app'] }])[0]).toMatch(
        /^net:Sg changed value while imported \(a replaced resource\?\): pass it through an SSM parameter/,
      );
    }
  });

  it('nothing imports it any more: deploy the producer again', () => {
    expect(exportRemedy('infra', [{ exportName: 'infra:X', operation: 'update', value: taskDef, importers: [] }])).toEqual([
      'nothing imports infra:X any more: deploy infra again',
    ]);
  });
});
