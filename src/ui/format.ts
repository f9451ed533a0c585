/** A short age like 45s, 12m, 3h, 5d from two instants. */
export function formatAge(fromIso: string | null | undefined, now: Date): string {
  if (!fromIso) return '-';
  const s = Math.max(0, Math.round((now.getTime() - new Date(fromIso).getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const shortSha = (rev: string | null | undefined) => (rev ? rev.slice(0, 12) : '-');
