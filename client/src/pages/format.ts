/** How ratings, changes, dates and lengths are written on the pages (text only). */

/** A rating change as players read it: `+12`, `-7`, `±0`. */
export function formatDelta(delta: number): string {
  const d = Math.round(delta);
  if (d === 0) return '±0';
  return d > 0 ? `+${d}` : `${d}`;
}

/** A Glicko-2 rating with its deviation: `1512 ± 85`. */
export const formatRating = (rating: number, rd: number) => `${Math.round(rating)} ± ${Math.round(rd)}`;

/** A length of play as m:ss (or h:mm:ss). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A match's end, in the reader's locale and time zone. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
