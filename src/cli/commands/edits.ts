import { type EditGroup, type EditRecord, editGroups, reintroduces } from "../../search/edits.ts";
import type { Store } from "../../store/store.ts";

/** Every proposal of a run as an edit record, from its stored events. */
export async function editRecords(store: Store): Promise<EditRecord[]> {
  const config = ((await store.startConfig()) ?? {}) as {
    editMode?: string;
    strategy?: { kind?: string };
  };
  const strategy = config.strategy?.kind ?? "islands";
  const runEditMode = config.editMode ?? "diff";
  const records = new Map<string, EditRecord & { diff: string }>();
  const roles = new Map<string, string>();
  const programs = new Map<string, { parentId: string | null; score: number; diff: string }>();
  for (const e of await store.events(0, Number.MAX_SAFE_INTEGER)) {
    if (e.type === "candidate_proposed" && e.iteration > 0 && e.parentId) {
      records.set(e.candidateId, {
        candidateId: e.candidateId,
        parentId: e.parentId,
        model: e.model,
        role: e.model === "tuner" || e.model === "none" ? e.model : "mutation",
        editMode: e.editMode ?? runEditMode,
        operation: e.operation ?? "mutate",
        strategy,
        outcome: "pending",
        delta: null,
        reintroduces: false,
        diff: e.diff,
      });
    } else if (e.type === "model_called" && e.candidateId) {
      // The last call for a candidate made its child (a repair after a failed edit).
      roles.set(e.candidateId, e.role);
    } else if (e.type === "edit_rejected" || e.type === "candidate_screened") {
      const r = records.get(e.candidateId);
      if (r) r.outcome = e.type === "edit_rejected" ? "rejected" : "screened";
    } else if (e.type === "evaluation_finished" && e.evaluation.status !== "ok") {
      const r = records.get(e.candidateId);
      if (r) r.outcome = "failed";
    } else if (e.type === "program_inserted") {
      const p = e.program;
      programs.set(p.id, { parentId: p.parentId, score: p.score, diff: p.diff });
      const r = records.get(p.id);
      const parent = p.parentId ? programs.get(p.parentId) : undefined;
      if (r) {
        r.outcome = "program";
        r.delta = parent ? p.score - parent.score : null;
      }
    }
  }
  return [...records.values()].map(({ diff, ...r }) => {
    const ancestors: string[] = [];
    for (let at = programs.get(r.parentId); at; at = at.parentId ? programs.get(at.parentId) : undefined)
      ancestors.push(at.diff);
    const role = r.role === "mutation" ? (roles.get(r.candidateId) ?? "mutation") : r.role;
    return { ...r, role, reintroduces: reintroduces(diff, ancestors) };
  });
}

export async function editReport(store: Store): Promise<EditGroup[]> {
  return editGroups(await editRecords(store));
}

export function formatEdits(groups: readonly EditGroup[]): string[] {
  const lines = [
    `edits        ${"".padEnd(22)} proposals  programs  acceptance  improved  mean change  reintroduced`,
  ];
  let last = "";
  for (const g of groups) {
    const head = g.by === last ? "" : `by ${g.by}`;
    last = g.by;
    lines.push(
      `  ${head.padEnd(13)}${g.value.padEnd(22)} ${String(g.proposals).padStart(9)} ${String(g.programs).padStart(9)} ${`${(100 * g.acceptance).toFixed(0)} %`.padStart(11)} ${String(g.improved).padStart(9)} ${(g.meanDelta === null ? "–" : `${g.meanDelta >= 0 ? "+" : ""}${g.meanDelta.toFixed(2)}`).padStart(12)} ${String(g.reintroduced).padStart(13)}`,
    );
  }
  return lines;
}
