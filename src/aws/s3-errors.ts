// The one place that tells S3's error answers apart. The SDK names an error by its XML
// Code (`name`, and `Code` on some), and a body-less answer (any HEAD) only by its status.

type S3Failure = Error & { Code?: unknown; $metadata?: { httpStatusCode?: number } };

/** The error's S3 code and HTTP status, or undefined for something that is not an Error. */
export function s3Failure(err: unknown): { code: string; status: number | undefined } | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as S3Failure).Code;
  return { code: typeof code === 'string' ? code : err.name, status: (err as S3Failure).$metadata?.httpStatusCode };
}

const codeIs = (err: unknown, ...codes: string[]) => codes.includes(s3Failure(err)?.code ?? '');
const statusIs = (err: unknown, status: number) => s3Failure(err)?.status === status;

/** The bucket is not there (any call but a HEAD, which says only 404: see isMissingBucket). */
export const isNoSuchBucket = (err: unknown) => codeIs(err, 'NoSuchBucket');

/** HeadBucket's answer for a bucket that is not there (404 without a body), or NoSuchBucket. */
export const isMissingBucket = (err: unknown) => codeIs(err, 'NoSuchBucket', 'NotFound') || statusIs(err, 404);

/** The key is not there: a get, a HEAD, or a conditional put/delete of a missing key (never a missing bucket). */
export const isMissingKey = (err: unknown) => !isNoSuchBucket(err) && (codeIs(err, 'NoSuchKey', 'NotFound') || statusIs(err, 404));

/** 412: the If-Match / If-None-Match condition did not hold. */
export const isPreconditionFailed = (err: unknown) => codeIs(err, 'PreconditionFailed') || statusIs(err, 412);

/** 409: another conditional write to the same key was in flight. */
export const isConflict = (err: unknown) => codeIs(err, 'ConditionalRequestConflict') || statusIs(err, 409);

/** A store that does not implement a parameter (a conditional delete, on some). */
export const isNotImplemented = (err: unknown) => codeIs(err, 'NotImplemented');
