/**
 * GEPA-style search (after "GEPA: Reflective Prompt Evolution"), for programs:
 * a Pareto front over the train workloads, parents drawn by how many
 * workloads they lead, reflective mutation from the parent's results on a
 * minibatch of workloads, a minibatch gate, and model-free merges of two
 * front programs that share an ancestor.
 *
 * State is a function of the ingest sequence plus the merge decisions select
 * makes, which are strategy events replayed on resume.
 */
import { z } from "zod";
import type { Rng } from "../core/rng.ts";
import type { Candidate, Program, Settled } from "../core/types.ts";
import { mergeChanges } from "./merge.ts";
import { parseOptions } from "./options.ts";
import type { ScreenTools, ScreenVerdict, Selection, Strategy, StrategyEvent } from "./strategy.ts";

export const gepaConfig = z.strictObject({
  kind: z.literal("gepa"),
  /** Train workloads in a minibatch: the reflection's evidence and the gate's test. */
  minibatch: z.number().int().min(1).default(3),
  /** Merges tried over the run (one becomes due after each child that passes the gate); 0: none. */
  maxMerges: z.number().int().min(0).default(5),
});

export type GepaOptions = Omit<z.output<typeof gepaConfig>, "kind">;

/** What a GEPA selection carries in its tag: the operation, the minibatch, and a merge's two parents. */
interface GepaTag {
  op: "seed" | "reflect" | "merge";
  minibatch: string[];
  parents?: [string, string];
}

interface Member {
  program: Program;
  /** Score per train workload, in `workloads` order (0 where it has none). */
  scores: Float64Array;
  ancestors: Set<string>;
}

const MERGE_PAIRS_TRIED = 10;

export class GepaStrategy implements Strategy {
  readonly name = "gepa";
  readonly options: Readonly<GepaOptions>;
  private workloads: string[] = [];
  private readonly members = new Map<string, Member>();
  /** Non-dominated programs, in ingest order. */
  private front: string[] = [];
  /** Per workload: its best score and the programs that reach it. */
  private best_: { score: number; leaders: string[] }[] = [];
  private bestId: string | undefined;
  private mergesDue = 0;
  private mergesTried = 0;
  private readonly pairsTried = new Set<string>();
  private readonly gates = { passed: 0, failed: 0 };

  constructor(options: Partial<GepaOptions> = {}) {
    this.options = Object.freeze(parseOptions(gepaConfig, "gepa", options));
  }

  ingest(settled: Settled): StrategyEvent[] {
    if (settled.status !== "ok" || this.members.has(settled.program.id)) return [];
    const { program, evaluation } = settled;
    if (this.members.size === 0) {
      this.workloads = evaluation.workloads.map((w) => w.workload);
      this.best_ = this.workloads.map(() => ({ score: Number.NEGATIVE_INFINITY, leaders: [] }));
    }
    const byId = new Map(evaluation.workloads.map((w) => [w.workload, w.score ?? 0]));
    const scores = Float64Array.from(this.workloads, (w) => byId.get(w) ?? 0);
    const parent = program.parentId ? this.members.get(program.parentId) : undefined;
    const ancestors = new Set(parent ? [...parent.ancestors, parent.program.id] : []);
    const member: Member = { program, scores, ancestors };
    this.members.set(program.id, member);
    if (!this.bestId || program.score > (this.members.get(this.bestId)?.program.score ?? -1)) {
      this.bestId = program.id;
    }
    scores.forEach((s, i) => {
      const b = this.best_[i]!;
      if (s > b.score) {
        b.score = s;
        b.leaders = [program.id];
      } else if (s === b.score) b.leaders.push(program.id);
    });
    if (!this.front.some((id) => dominates(this.scoresOf(id), scores))) {
      this.front = this.front.filter((id) => !dominates(scores, this.scoresOf(id)));
      this.front.push(program.id);
    }
    // A child that passed the gate is progress: GEPA then tries a merge.
    if (
      parseTag(settled.candidate.tag).op === "reflect" &&
      this.mergesTried + this.mergesDue < this.options.maxMerges
    ) {
      this.mergesDue++;
    }
    return [];
  }

  select(rng: Rng): Selection {
    if (this.members.size === 0)
      throw new Error("gepa.select: the population is empty; ingest the seed program first");
    if (this.mergesDue > 0) {
      const merge = this.findMerge(rng);
      const decided: StrategyEvent = merge
        ? { kind: "merge_chosen", data: { parents: merge.parents, ancestor: merge.ancestor } }
        : {
            kind: "merge_skipped",
            data: { reason: "no two front programs with a common ancestor and separate changes" },
          };
      this.apply(decided);
      if (merge) {
        const minibatch = this.drawMinibatch(rng);
        const [a, b] = merge.parents.map((id) => this.member(id).program) as [Program, Program];
        const tag: GepaTag = { op: "merge", minibatch, parents: merge.parents };
        return {
          parent: a,
          inspirations: [],
          tag: JSON.stringify(tag),
          directive: {
            operation: "merge",
            secondParent: b,
            child: {
              code: merge.code,
              note: `merged the changes of ${a.id} and ${b.id} since their common ancestor ${merge.ancestor}`,
            },
          },
          events: [decided],
        };
      }
      const selection = this.reflect(rng);
      return { ...selection, events: [decided] };
    }
    return this.reflect(rng);
  }

  /** A gated child must beat its parent (a merge: the better of its two parents) on the tag's minibatch. */
  async screen(candidate: Candidate, tools: ScreenTools): Promise<ScreenVerdict> {
    const tag = parseTag(candidate.tag);
    const minibatch = tag.minibatch.filter((w) => tools.trainWorkloads.includes(w));
    if (minibatch.length === 0) return { pass: true };
    const evaluation = await tools.evaluate(candidate.code, minibatch);
    const childScores = minibatch.map((w) => evaluation.workloads.find((r) => r.workload === w)?.score ?? 0);
    const parents = tag.op === "merge" && tag.parents ? tag.parents : [candidate.parentId];
    const parentSums = parents.map((id) => sum(this.minibatchScores(id, minibatch)));
    const child = sum(childScores);
    const bar = Math.max(...parentSums);
    const passed = evaluation.status === "ok" && (tag.op === "merge" ? child >= bar : child > bar);
    if (passed) this.gates.passed++;
    else this.gates.failed++;
    const event: StrategyEvent = {
      kind: "gate",
      data: {
        candidate: candidate.id,
        op: tag.op,
        minibatch,
        child: childScores,
        parents,
        parentSums,
        passed,
      },
    };
    if (passed) return { pass: true, events: [event] };
    const why =
      evaluation.status !== "ok"
        ? `${evaluation.status} on the minibatch ${minibatch.join(", ")}`
        : `scored ${round(child)} on the minibatch ${minibatch.join(", ")}, not ${tag.op === "merge" ? "at least" : "above"} its parent's ${round(bar)}`;
    return { pass: false, reason: `minibatch gate: ${why}`, events: [event] };
  }

  replay(event: StrategyEvent): void {
    this.apply(event);
  }

  best(): Program | undefined {
    return this.bestId ? this.members.get(this.bestId)?.program : undefined;
  }

  size(): number {
    return this.members.size;
  }

  /** The front, with how many workloads each program leads and its score on each (in `workloads` order). */
  frontier(): { id: string; score: number; leads: number; scores: number[] }[] {
    const leads = this.leads();
    return this.front.map((id) => {
      const m = this.member(id);
      return { id, score: m.program.score, leads: leads.get(id) ?? 0, scores: [...m.scores] };
    });
  }

  describe() {
    const best = this.best();
    return {
      name: this.name,
      size: this.members.size,
      workloads: [...this.workloads],
      front: this.frontier(),
      best: best ? { id: best.id, score: best.score } : null,
      merges: { due: this.mergesDue, tried: this.mergesTried, max: this.options.maxMerges },
      gates: { ...this.gates },
    };
  }

  // ---- selection ----

  /** A parent drawn by how many workloads it leads, and a reflective prompt on a minibatch. */
  private reflect(rng: Rng): Selection {
    const parent = this.drawParent(rng);
    const minibatch = this.drawMinibatch(rng);
    const tag: GepaTag = { op: "reflect", minibatch };
    return {
      parent,
      inspirations: [],
      tag: JSON.stringify(tag),
      directive: { operation: "reflect", sections: this.reflection(parent, minibatch) },
    };
  }

  private drawParent(rng: Rng): Program {
    const leads = this.leads();
    const weights = this.front.map((id) => leads.get(id) ?? 0);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) return this.member(rng.pick(this.front)).program;
    let u = rng.next() * total;
    for (let i = 0; i < this.front.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return this.member(this.front[i] as string).program;
    }
    return this.member(this.front.at(-1) as string).program;
  }

  private drawMinibatch(rng: Rng): string[] {
    const k = Math.min(this.options.minibatch, this.workloads.length);
    const picked = rng
      .shuffle([...this.workloads.keys()])
      .slice(0, k)
      .sort((a, b) => a - b);
    return picked.map((i) => this.workloads[i] as string);
  }

  /** Workloads each front program leads (is among the best on). */
  private leads(): Map<string, number> {
    const onFront = new Set(this.front);
    const leads = new Map<string, number>();
    for (const b of this.best_) {
      for (const id of b.leaders) if (onFront.has(id)) leads.set(id, (leads.get(id) ?? 0) + 1);
    }
    return leads;
  }

  /** The prompt sections of a reflective mutation: the evidence, then how to use it. */
  private reflection(parent: Program, minibatch: string[]) {
    const member = this.member(parent.id);
    const lines = minibatch.map((w) => {
      const i = this.workloads.indexOf(w);
      const best = this.best_[i];
      return `- ${w}: score ${round(member.scores[i] ?? 0)} (best so far on it: ${round(best?.score ?? 0)})`;
    });
    return [
      {
        title: "Results on a sample of workloads",
        body: [
          `The current program's 0–100 score on ${minibatch.length} of the ${this.workloads.length} train workloads, beside the best any program has reached on each:`,
          ...lines,
          "The evaluator's feedback on the current program is shown with it above.",
        ].join("\n"),
      },
      {
        title: "How to work",
        body:
          "First diagnose: from these results and the feedback, say in a few sentences what limits the score on " +
          "these workloads and why. Then make one change that addresses that diagnosis, and say how it does.",
      },
    ];
  }

  // ---- merges ----

  private findMerge(rng: Rng): { parents: [string, string]; ancestor: string; code: string } | null {
    if (this.front.length < 2) return null;
    for (let attempt = 0; attempt < MERGE_PAIRS_TRIED; attempt++) {
      const i = rng.int(this.front.length);
      let j = rng.int(this.front.length - 1);
      if (j >= i) j++;
      const [a, b] = [this.front[i] as string, this.front[j] as string].sort() as [string, string];
      if (this.pairsTried.has(`${a}|${b}`)) continue;
      const ma = this.member(a);
      const mb = this.member(b);
      if (ma.ancestors.has(b) || mb.ancestors.has(a)) continue;
      const ancestor = this.latestCommonAncestor(ma, mb);
      if (!ancestor) continue;
      const merged = mergeChanges(this.member(ancestor).program.code, ma.program.code, mb.program.code);
      if (!merged.ok) continue;
      return { parents: [a, b], ancestor, code: merged.code };
    }
    return null;
  }

  private latestCommonAncestor(a: Member, b: Member): string | null {
    let id = b.program.parentId;
    while (id) {
      if (a.ancestors.has(id)) return id;
      id = this.members.get(id)?.program.parentId ?? null;
    }
    return null;
  }

  /** Applies a merge decision (live, and again on resume). */
  private apply(event: StrategyEvent): void {
    if (event.kind === "merge_chosen") {
      const { parents } = event.data as { parents: [string, string] };
      this.pairsTried.add(`${parents[0]}|${parents[1]}`);
      this.mergesTried++;
      this.mergesDue = Math.max(0, this.mergesDue - 1);
    } else if (event.kind === "merge_skipped") {
      this.mergesDue = 0;
    }
  }

  private minibatchScores(id: string, minibatch: string[]): number[] {
    const m = this.members.get(id);
    return minibatch.map((w) => (m ? (m.scores[this.workloads.indexOf(w)] ?? 0) : 0));
  }

  private scoresOf(id: string): Float64Array {
    return this.member(id).scores;
  }

  private member(id: string): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`gepa: unknown program ${id}`);
    return m;
  }
}

/** Whether `a` is at least as good as `b` on every workload and better on one. */
export function dominates(a: Float64Array, b: Float64Array): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x < y) return false;
    if (x > y) better = true;
  }
  return better;
}

function parseTag(tag: string): GepaTag {
  if (tag === "") return { op: "seed", minibatch: [] };
  try {
    const t = JSON.parse(tag) as GepaTag;
    return {
      op: t.op,
      minibatch: Array.isArray(t.minibatch) ? t.minibatch : [],
      ...(t.parents ? { parents: t.parents } : {}),
    };
  } catch {
    return { op: "seed", minibatch: [] };
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
