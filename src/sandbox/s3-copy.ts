import type { S3Api } from '../aws/clients.js';
import { SandboxUnsupportedError } from './errors.js';
import type { SandboxWorld } from './world.js';

// Server-side copies. Being implemented in this session; until then they refuse as unmodelled.

type CopyOps = Pick<S3Api, 'copyObject' | 'createMultipartUpload' | 'uploadPartCopy' | 'completeMultipartUpload' | 'abortMultipartUpload'>;

export function copyOps(_world: SandboxWorld): CopyOps {
  const no = (op: string) => () => Promise.reject(new SandboxUnsupportedError(`S3 ${op} is not simulated yet`));
  return {
    copyObject: no('CopyObject'),
    createMultipartUpload: no('CreateMultipartUpload'),
    uploadPartCopy: no('UploadPartCopy'),
    completeMultipartUpload: no('CompleteMultipartUpload'),
    abortMultipartUpload: no('AbortMultipartUpload'),
  };
}
