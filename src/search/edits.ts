/**
 * How edits fare, for `adrs status --edits`: per model, role, edit mode,
 * operation and strategy, the share of proposals that became programs and
 * the mean score change of those programs over their parents, and how many
 * edits put back code an ancestor had removed. Pure: the command gathers the
 * records from a run's store.
 */

export interface EditRecord {
  candidateId: string;
  parentId: string;
  model: string;
  /** The role of the call whose reply made the child (mutation, repair, paradigm…; tuner, none). */
  role: string;
  editMode: string;
  operation: string;
  strategy: string;
  outcome: "program" | "rejected" | "screened" | "failed" | "pending";
  /** Child score − parent score, for a program. */
  delta: number | null;
  /** Put back a line an ancestor's edit removed. */
  reintroduces: boolean;
}

export const EDIT_DIMENSIONS = ["model", "role", "editMode", "operation", "strategy"] as const;
export type EditDimension = (typeof EDIT_DIMENSIONS)[number];

export interface EditGroup {
  by: EditDimension;
  value: string;
  /** Settled proposals (the seed and those still in flight are not counted). */
  proposals: number;
  programs: number;
  /** programs / proposals. */
  acceptance: number;
  /** Programs that scored above their parent. */
  improved: number;
  /** Mean child − parent score over the programs (null with none). */
  meanDelta: number | null;
  reintroduced: number;
}

export function editGroups(records: readonly EditRecord[]): EditGroup[] {
  const settled = records.filter((r) => r.outcome !== "pending");
  return EDIT_DIMENSIONS.flatMap((by) => {
    const values = [...new Set(settled.map((r) => r[by]))].sort();
    return values.map((value): EditGroup => {
      const mine = settled.filter((r) => r[by] === value);
      const deltas = mine.flatMap((r) => (r.outcome === "program" && r.delta !== null ? [r.delta] : []));
      const programs = mine.filter((r) => r.outcome === "program").length;
      return {
        by,
        value,
        proposals: mine.length,
        programs,
        acceptance: mine.length > 0 ? programs / mine.length : 0,
        improved: deltas.filter((d) => d > 0).length,
        meanDelta: deltas.length > 0 ? deltas.reduce((s, d) => s + d, 0) / deltas.length : null,
        reintroduced: mine.filter((r) => r.reintroduces).length,
      };
    });
  });
}

/** The lines a unified diff adds and removes (file headers excluded; blank lines ignored). */
export function diffLines(diff: string): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    const body = line.slice(1).trim();
    if (body === "") continue;
    if (line.startsWith("+")) added.push(body);
    else if (line.startsWith("-")) removed.push(body);
  }
  return { added, removed };
}

/**
 * Whether a child's diff adds back a line that an edit on its lineage (the
 * parent's or an earlier ancestor's diff) removed.
 */
export function reintroduces(diff: string, ancestorDiffs: readonly string[]): boolean {
  const { added } = diffLines(diff);
  if (added.length === 0) return false;
  const removed = new Set(ancestorDiffs.flatMap((d) => diffLines(d).removed));
  return added.some((line) => removed.has(line));
}
