// Strict patterns for anything that may end up in an AWS call, a path or a command
// line. Validating here is what lets the rest of claw never build a shell string.

/** RFC 1123 label, lower case: what NixOS accepts as networking.hostName. */
export const HOSTNAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const REGION_RE = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
export const AMI_ID_RE = /^ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const INSTANCE_ID_RE = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
export const FULL_SHA_RE = /^[0-9a-f]{40}$/;
/** S3 bucket names (the general-purpose rules, without dots-as-IP checks). */
export const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** An S3 key prefix claw builds paths under: no leading slash, no `..`, no spaces. */
export const S3_PREFIX_RE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]+$/;
/** A secret's file stem, as named by discordTokenSecret (`<stem>.age`). */
export const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** `key=value` for an EC2 tag filter. */
export const TAG_PAIR_RE = /^([^=\s][^=]*)=(.+)$/;

export function parseTagPair(s: string): { key: string; value: string } | undefined {
  const m = TAG_PAIR_RE.exec(s);
  return m ? { key: m[1]!, value: m[2]! } : undefined;
}
