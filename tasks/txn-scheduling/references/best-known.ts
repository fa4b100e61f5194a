import { rng, type Workload } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known, built from the published ideas: a Borda-style pairwise order
 * (which of two transactions should go first), best-position insertion in that
 * order, then local search (relocate and swap moves, simulated annealing).
 *
 * What takes it past the published programs: the search minimises the
 * makespan plus a small multiple of the sum of all end times, which breaks
 * the makespan's wide plateaus (a schedule whose transactions end earlier is
 * closer to one with a smaller makespan), the annealing runs at the
 * temperatures where that pays (0.3 → 0.05) for 400,000 steps, then restarts
 * from the best schedule in short rounds with fresh seeds until they stop
 * helping (which is what the cyclic workloads need).
 *
 * Evaluation is incremental: the key state after every prefix of the current
 * schedule is kept, so a move that touches positions ≥ p replays only the
 * suffix from p, and gives up as soon as it cannot beat the bound it is given.
 */
/** Weight of the mean end time beside the makespan (small: the makespan decides). */
const END_WEIGHT = 0.01;
/**
 * One long annealing run of LONG_STEPS, then rounds of ROUND_STEPS from the best
 * schedule with fresh seeds, at most MAX_ROUNDS, stopping after STALL rounds
 * without a better schedule.
 */
const LONG_STEPS = 400_000;
/** The long run also stops after this many steps without a smaller makespan. */
const LONG_STALL = 200_000;
const ROUND_STEPS = 40_000;
const MAX_ROUNDS = 4;
const STALL = 2;
const HOT = 0.3;
const COLD = 0.05;

class Schedules {
  readonly n: number;
  private readonly k: number;
  private readonly len: Int32Array;
  private readonly opStart: Int32Array;
  private readonly opKey: Int32Array;
  private readonly opOff: Int32Array;
  private readonly opWrite: Uint8Array;
  // State after the first p transactions of `seq`: per key the latest time of
  // any op and of a write, and the makespan so far.
  private readonly anyAt: Int32Array;
  private readonly writeAt: Int32Array;
  private readonly spanAt: Int32Array;
  private readonly sumAt: Float64Array;
  /** Weight of the sum of end times in the cost. */
  private readonly w: number;
  private readonly scratchAny: Int32Array;
  private readonly scratchWrite: Int32Array;
  /** The current schedule is seq[0 … length−1]. */
  seq: Int32Array;
  length = 0;
  /** Where moves build the schedule they propose. */
  draft: Int32Array;

  constructor(workload: Workload) {
    this.n = workload.size;
    this.k = workload.keyCount;
    this.len = Int32Array.from(workload.lengths);
    this.opStart = new Int32Array(this.n + 1);
    const keys: number[] = [];
    const offs: number[] = [];
    const writes: number[] = [];
    workload.ops.forEach((ops, t) => {
      this.opStart[t] = keys.length;
      ops.forEach((op, pos) => {
        if (op.type === "*") return;
        keys.push(op.key);
        offs.push(pos);
        writes.push(op.type === "w" ? 1 : 0);
      });
    });
    this.opStart[this.n] = keys.length;
    this.opKey = Int32Array.from(keys);
    this.opOff = Int32Array.from(offs);
    this.opWrite = Uint8Array.from(writes);
    this.anyAt = new Int32Array((this.n + 1) * this.k);
    this.writeAt = new Int32Array((this.n + 1) * this.k);
    this.spanAt = new Int32Array(this.n + 1);
    this.sumAt = new Float64Array(this.n + 1);
    this.w = END_WEIGHT / Math.max(1, this.n);
    this.scratchAny = new Int32Array(this.k);
    this.scratchWrite = new Int32Array(this.k);
    this.seq = new Int32Array(this.n);
    this.draft = new Int32Array(this.n);
  }

  get span(): number {
    return this.spanAt[this.length] as number;
  }

  /** What the search minimises: the makespan, plus the sum of end times weighted by w. */
  get cost(): number {
    return (this.spanAt[this.length] as number) + this.w * (this.sumAt[this.length] as number);
  }

  /** Places t on the key state at `base` of (any, write); returns its end time. */
  private place(t: number, any: Int32Array, write: Int32Array, base: number): number {
    const from = this.opStart[t] as number;
    const to = this.opStart[t + 1] as number;
    let start = 1;
    for (let o = from; o < to; o++) {
      const key = base + (this.opKey[o] as number);
      const b =
        (this.opWrite[o] ? (any[key] as number) : (write[key] as number)) + 1 - (this.opOff[o] as number);
      if (b > start) start = b;
    }
    for (let o = from; o < to; o++) {
      const key = base + (this.opKey[o] as number);
      const time = start + (this.opOff[o] as number);
      if (time > (any[key] as number)) any[key] = time;
      if (this.opWrite[o] && time > (write[key] as number)) write[key] = time;
    }
    return start + (this.len[t] as number) - 1;
  }

  /** Rebuilds the prefix states of the current schedule from position `from`. */
  private rebuild(from: number): void {
    const k = this.k;
    for (let p = from; p < this.length; p++) {
      this.anyAt.copyWithin((p + 1) * k, p * k, (p + 1) * k);
      this.writeAt.copyWithin((p + 1) * k, p * k, (p + 1) * k);
      const end = this.place(this.seq[p] as number, this.anyAt, this.writeAt, (p + 1) * k);
      this.spanAt[p + 1] = Math.max(this.spanAt[p] as number, end);
      this.sumAt[p + 1] = (this.sumAt[p] as number) + end;
    }
  }

  /** Replaces the current schedule by `order`, which agrees with it before `from`. */
  assign(order: ArrayLike<number>, from = 0): void {
    this.seq.set(order);
    this.length = order.length;
    this.rebuild(from);
  }

  /**
   * Cost of: the current first p transactions, then `first` (if ≥ 0), then
   * `rest[from … to−1]`. Returns `bound` as soon as it cannot be below.
   */
  private replay(
    p: number,
    first: number,
    rest: Int32Array,
    from: number,
    to: number,
    bound: number,
  ): number {
    const w = this.w;
    let span = this.spanAt[p] as number;
    let sum = this.sumAt[p] as number;
    if (span + w * sum >= bound) return bound;
    const k = this.k;
    const any = this.scratchAny;
    const write = this.scratchWrite;
    any.set(this.anyAt.subarray(p * k, (p + 1) * k));
    write.set(this.writeAt.subarray(p * k, (p + 1) * k));
    if (first >= 0) {
      const end = this.place(first, any, write, 0);
      if (end > span) span = end;
      sum += end;
      if (span + w * sum >= bound) return bound;
    }
    for (let i = from; i < to; i++) {
      const end = this.place(rest[i] as number, any, write, 0);
      if (end > span) span = end;
      sum += end;
      if (span + w * sum >= bound) return bound;
    }
    return span + w * sum;
  }

  /** Cost of the draft, which agrees with the current schedule before `from`. */
  tryDraft(from: number, bound: number): number {
    return this.replay(from, -1, this.draft, from, this.length, bound);
  }

  /** Makes the draft the current schedule. */
  acceptDraft(from: number): void {
    [this.seq, this.draft] = [this.draft, this.seq];
    this.rebuild(from);
  }

  /** Inserts t at its cheapest position (earliest among equals). */
  insertBest(t: number): void {
    let pos = this.length;
    let best = Number.POSITIVE_INFINITY;
    for (let p = 0; p <= this.length; p++) {
      const span = this.replay(p, t, this.seq, p, this.length, best);
      if (span < best) {
        best = span;
        pos = p;
      }
    }
    this.seq.copyWithin(pos + 1, pos, this.length);
    this.seq[pos] = t;
    this.length++;
    this.rebuild(pos);
  }

  /** Drafts moving the transaction at `from` so that it lands at index `to`. */
  draftMove(from: number, to: number): number {
    const d = this.draft;
    d.set(this.seq);
    const t = d[from] as number;
    if (to < from) d.copyWithin(to + 1, to, from);
    else d.copyWithin(from, from + 1, to + 1);
    d[to] = t;
    return Math.min(from, to);
  }

  draftSwap(a: number, b: number): number {
    const d = this.draft;
    d.set(this.seq);
    d[a] = this.seq[b] as number;
    d[b] = this.seq[a] as number;
    return Math.min(a, b);
  }
}

/** Pairwise preference: i scores the margin by which i-then-j beats j-then-i. */
function bordaOrder(workload: Workload): number[] {
  const n = workload.size;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const margin = workload.makespan([j, i]) - workload.makespan([i, j]);
      if (margin > 0) score[i] = (score[i] as number) + margin;
      else score[j] = (score[j] as number) - margin;
    }
  }
  return Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (score[b] as number) - (score[a] as number) || a - b,
  );
}

/** First-improvement relocation of every transaction to its best place, until none helps. */
function relocateDescent(s: Schedules): void {
  let improved = true;
  while (improved) {
    improved = false;
    for (let from = 0; from < s.n; from++) {
      const current = s.cost;
      for (let to = 0; to < s.n; to++) {
        if (to === from) continue;
        const p = s.draftMove(from, to);
        if (s.tryDraft(p, current) < current) {
          s.acceptDraft(p);
          improved = true;
          from--; // another transaction now sits at `from`
          break;
        }
      }
    }
  }
}

/**
 * One round of simulated annealing over relocate (80 %) and swap moves, from
 * HOT to COLD (stopping early after `stall` steps without a smaller makespan,
 * or at `floor`, a lower bound);
 * equal costs are always accepted. Leaves the best schedule seen
 * (least makespan, then least cost) as the current one; returns whether it
 * beat the schedule the round started from.
 */
function anneal(s: Schedules, seed: number, steps: number, floor: number, stall = steps): boolean {
  const random = rng(seed);
  const n = s.n;
  const best = Int32Array.from(s.seq);
  const startSpan = s.span;
  const startCost = s.cost;
  let bestSpan = startSpan;
  let bestCost = startCost;
  let lastBetter = 0;
  for (let step = 0; step < steps && step - lastBetter < stall && bestSpan > floor; step++) {
    const temperature = HOT * (COLD / HOT) ** (step / steps);
    // Metropolis with the threshold drawn up front, so a move can be cut
    // short once it exceeds it.
    const bound = s.cost - temperature * Math.log(1 - random.next()) + 1e-9;
    const a = random.int(n);
    let b = random.int(n - 1);
    if (b >= a) b++;
    const p = random.next() < 0.8 ? s.draftMove(a, b) : s.draftSwap(a, b);
    if (s.tryDraft(p, bound) < bound) {
      s.acceptDraft(p);
      if (s.span < bestSpan || (s.span === bestSpan && s.cost < bestCost)) {
        if (s.span < bestSpan) lastBetter = step;
        bestSpan = s.span;
        bestCost = s.cost;
        best.set(s.seq);
      }
    }
  }
  s.assign(best);
  return bestSpan < startSpan || (bestSpan === startSpan && bestCost < startCost - 1e-9);
}

/**
 * A lower bound on any schedule's makespan: the writers of a key run in some
 * order, each at least the smallest gap that key forces between two of them
 * after the one before, and the last one still has to finish.
 */
function lowerBound(workload: Workload): number {
  const ops = workload.ops;
  const byKey = new Map<number, number[]>();
  ops.forEach((list, t) => {
    for (const op of list) {
      if (op.type !== "w") continue;
      const writers = byKey.get(op.key) ?? [];
      if (writers[writers.length - 1] !== t) writers.push(t);
      byKey.set(op.key, writers);
    }
  });
  let bound = Math.max(0, ...workload.lengths);
  for (const [key, writers] of byKey) {
    if (writers.length < 2) continue;
    let gap = Number.POSITIVE_INFINITY;
    for (const i of writers) {
      for (const j of writers) {
        if (i === j) continue;
        // j's ops on the key after i's: the start difference this pair forces.
        let d = Number.NEGATIVE_INFINITY;
        (ops[i] as Workload["ops"][number]).forEach((a, oa) => {
          if (a.key !== key) return;
          (ops[j] as Workload["ops"][number]).forEach((b, ob) => {
            if (b.key === key && (a.type === "w" || b.type === "w")) d = Math.max(d, oa - ob + 1);
          });
        });
        gap = Math.min(gap, d);
      }
    }
    const shortest = Math.min(...writers.map((t) => workload.lengths[t] as number));
    bound = Math.max(bound, 1 + (writers.length - 1) * Math.max(0, gap) + shortest - 1);
  }
  return bound;
}

export function schedule(workload: Workload): number[] {
  const s = new Schedules(workload);
  if (s.n < 2) return Array.from({ length: s.n }, (_, i) => i);
  for (const t of bordaOrder(workload)) s.insertBest(t);
  relocateDescent(s);
  // The search stops once the makespan meets the lower bound (the TPC-C workloads do).
  const floor = lowerBound(workload);
  anneal(s, 7, LONG_STEPS, floor, LONG_STALL);
  relocateDescent(s);
  let stalled = 0;
  for (let round = 1; round <= MAX_ROUNDS && stalled < STALL && s.span > floor; round++) {
    const better = anneal(s, 7 + round, ROUND_STEPS, floor);
    relocateDescent(s);
    stalled = better ? 0 : stalled + 1;
  }
  return Array.from(s.seq);
}
// EVOLVE-BLOCK-END
