import type { BlockDeviceMapping, RegisterImageCommandInput, RegisterImageCommandOutput, TagSpecification } from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { checkTagLimit, checkTags, missingParameter, SNAPSHOT_ID_RE, snapshotMalformed, snapshotNotFound } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { newId } from './ids.js';
import type { ImageRecord, SandboxState } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 RegisterImage of an EBS-backed AMI from existing snapshots, with AWS's checks:
// a unique, well-formed name; snapshots that exist, are ours and are completed; a root
// device that is one of the mappings; TagSpecifications only for the `image` itself.
// AWS's documented defaults apply to what the request leaves out (architecture i386,
// virtualization paravirtual), which is why claw always sets them.

const OP = 'EC2 RegisterImage';
const NAME_RE = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const ARCHITECTURES = ['i386', 'x86_64', 'arm64', 'x86_64_mac', 'arm64_mac'];
const BOOT_MODES = ['legacy-bios', 'uefi', 'uefi-preferred'];
const VIRTUALIZATION_TYPES = ['hvm', 'paravirtual'];
const VOLUME_TYPES = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'];

function invalidValue(param: string, value: unknown, valid: readonly string[]) {
  return awsError('InvalidParameterValue', `Value (${String(value)}) for parameter ${param} is invalid. Valid values: ${valid.join(', ')}`);
}

function oneOf(param: string, value: string | undefined, valid: readonly string[], fallback?: string): string | undefined {
  if (value === undefined) return fallback;
  if (!valid.includes(value)) throw invalidValue(param, value, valid);
  return value;
}

function imageTags(specs: TagSpecification[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs ?? []) {
    rejectUnsupported(`${OP} TagSpecification`, spec, ['ResourceType', 'Tags']);
    // "To tag the AMI, the value for ResourceType must be image. If you specify another
    // value for ResourceType, the request fails."
    if (spec.ResourceType !== 'image') {
      throw awsError('InvalidParameterValue', `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    }
    Object.assign(tags, checkTags(spec.Tags ?? [], OP));
  }
  checkTagLimit({}, tags);
  return tags;
}

function mapping(state: SandboxState, m: BlockDeviceMapping): ImageRecord['blockDeviceMappings'][number] {
  rejectUnsupported(`${OP} BlockDeviceMapping`, m, ['DeviceName', 'Ebs']);
  if (!m.DeviceName) throw missingParameter('BlockDeviceMapping.DeviceName');
  if (!m.Ebs) throw new SandboxUnsupportedError(`${OP}: only EBS block device mappings are simulated (${m.DeviceName} has no Ebs)`);
  rejectUnsupported(`${OP} BlockDeviceMapping.Ebs`, m.Ebs, ['SnapshotId', 'DeleteOnTermination', 'VolumeType', 'VolumeSize']);
  const snapshotId = m.Ebs.SnapshotId;
  if (snapshotId === undefined) throw new SandboxUnsupportedError(`${OP}: an EBS mapping without SnapshotId (an empty volume) is not simulated`);
  if (!SNAPSHOT_ID_RE.test(snapshotId)) throw snapshotMalformed(snapshotId);
  const snapshot = state.snapshots.find((s) => s.snapshotId === snapshotId && s.ownerId === state.accountId);
  if (!snapshot) throw snapshotNotFound(snapshotId);
  if (snapshot.state !== 'completed') throw awsError('IncorrectState', `Snapshot '${snapshotId}' is not in the 'completed' state.`);
  const volumeSize = m.Ebs.VolumeSize ?? snapshot.volumeSize;
  if (!Number.isInteger(volumeSize) || volumeSize < snapshot.volumeSize) {
    throw awsError(
      'InvalidBlockDeviceMapping',
      `Volume of size ${volumeSize}GB is smaller than snapshot '${snapshotId}', expect size >= ${snapshot.volumeSize}GB`,
    );
  }
  return {
    deviceName: m.DeviceName,
    snapshotId,
    volumeSize,
    deleteOnTermination: m.Ebs.DeleteOnTermination ?? true,
    volumeType: oneOf('volumeType', m.Ebs.VolumeType, VOLUME_TYPES, 'gp2'),
  };
}

export function registerOps(world: SandboxWorld): Pick<Ec2Api, 'registerImage'> {
  return {
    async registerImage(input: RegisterImageCommandInput): Promise<RegisterImageCommandOutput> {
      rejectUnsupported(OP, input, [
        'Name',
        'Description',
        'Architecture',
        'RootDeviceName',
        'BlockDeviceMappings',
        'VirtualizationType',
        'EnaSupport',
        'BootMode',
        'TagSpecifications',
      ]);
      const { state } = world;
      const name = input.Name;
      if (name === undefined || name === '') throw missingParameter('name');
      if (!NAME_RE.test(name)) {
        throw awsError(
          'InvalidAMIName.Malformed',
          "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/', '[', ']', ' ', \"'\", '@' and '_'",
        );
      }
      const taken = state.images.find((i) => i.ownerId === state.accountId && i.name === name);
      if (taken) throw awsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${taken.imageId}`);

      const architecture = oneOf('architecture', input.Architecture, ARCHITECTURES, 'i386')!;
      const bootMode = oneOf('bootMode', input.BootMode, BOOT_MODES);
      const virtualizationType = oneOf('virtualizationType', input.VirtualizationType, VIRTUALIZATION_TYPES, 'paravirtual')!;
      const mappings = input.BlockDeviceMappings ?? [];
      if (mappings.length === 0) throw missingParameter('blockDeviceMapping');
      const rootDeviceName = input.RootDeviceName;
      if (rootDeviceName === undefined || rootDeviceName === '') throw missingParameter('rootDeviceName');
      const blockDeviceMappings = mappings.map((m) => mapping(state, m));
      const devices = blockDeviceMappings.map((b) => b.deviceName);
      if (new Set(devices).size !== devices.length) {
        throw awsError('InvalidBlockDeviceMapping', 'The device names in the block device mapping must be unique.');
      }
      if (!devices.includes(rootDeviceName)) {
        throw awsError('InvalidBlockDeviceMapping', `The root device name '${rootDeviceName}' is not in the block device mapping.`);
      }
      const tags = imageTags(input.TagSpecifications);

      const imageId = newId('ami');
      state.images.push({
        imageId,
        ownerId: state.accountId,
        name,
        ...(input.Description !== undefined && { description: input.Description }),
        // EBS-backed images from completed snapshots are available at once in practice.
        state: 'available',
        creationDate: world.now().toISOString(),
        public: false,
        architecture,
        rootDeviceName,
        ...(bootMode !== undefined && { bootMode }),
        virtualizationType,
        enaSupport: input.EnaSupport ?? false,
        blockDeviceMappings,
        tags,
      });
      await world.persist();
      return { $metadata: okMetadata(), ImageId: imageId };
    },
  };
}
