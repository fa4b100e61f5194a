/** Durations as people write them on a command line or in a config file. No I/O here. */

/** Seconds from a number of seconds or a string with a unit ("500ms", "90s", "30m", "2h"); null if neither. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === "number") return value > 0 ? value : null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return null;
  const n = Number.parseFloat(m[1]!);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"] ?? 1;
  return n > 0 ? n * unit : null;
}
