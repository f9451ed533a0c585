/**
 * Multipart part size for uploads: 16 MiB keeps a multi-GiB image well under S3's
 * 10,000-part cap. The SDK upload and the sandbox share it, so their ETags (and the
 * progress callbacks) agree.
 */
export const UPLOAD_PART_SIZE = 16 * 1024 * 1024;
