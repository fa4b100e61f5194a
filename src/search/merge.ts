/**
 * A model-free merge of two programs that share an ancestor: each program's
 * changes against the ancestor (line hunks, from the `diff` package) are
 * applied together when no change of one touches or borders a change of the
 * other. Hunks both programs made identically count once.
 */
import { structuredPatch } from "diff";

interface Hunk {
  /** First changed line of the ancestor, 0-based, and how many lines it replaces (0: an insertion before it). */
  start: number;
  length: number;
  added: string[];
}

function hunks(ancestor: string, code: string): Hunk[] {
  const patch = structuredPatch("a", "b", ancestor, code, "", "", { context: 0 });
  return patch.hunks.map((h) => ({
    // 1-based; for an insertion (no old lines) it names the line the new ones go before.
    start: h.oldStart - 1,
    length: h.oldLines,
    added: h.lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1)),
  }));
}

const same = (a: Hunk, b: Hunk) =>
  a.start === b.start && a.length === b.length && a.added.join("\n") === b.added.join("\n");

/** Whether two hunks change, or sit right next to, the same lines of the ancestor. */
function clash(a: Hunk, b: Hunk): boolean {
  return a.start <= b.start + b.length && b.start <= a.start + a.length;
}

export type MergeResult = { ok: true; code: string; hunks: number } | { ok: false; reason: string };

/** Both programs' changes to `ancestor` in one program, or why they cannot be combined. */
export function mergeChanges(ancestor: string, a: string, b: string): MergeResult {
  const fromA = hunks(ancestor, a);
  const fromB = hunks(ancestor, b).filter((h) => !fromA.some((g) => same(g, h)));
  if (fromA.length === 0 || fromB.length === 0) {
    return { ok: false, reason: "one program holds every change of the other" };
  }
  for (const h of fromB) {
    if (fromA.some((g) => clash(g, h))) {
      return { ok: false, reason: `both programs change the ancestor near line ${h.start + 1}` };
    }
  }
  const all = [...fromA, ...fromB].sort((x, y) => y.start - x.start);
  const lines = ancestor.split("\n");
  // Bottom up, so earlier line numbers stay valid.
  for (const h of all) lines.splice(h.start, h.length, ...h.added);
  return { ok: true, code: lines.join("\n"), hunks: all.length };
}
