import type { Placement, Weights } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known, built from the published ideas: replica counts by Hamilton
 * (largest-remainder) apportionment; on a skewed row, where Hamilton leaves
 * some replica well above the average slot load whatever the remainders do,
 * the counts that minimise the heaviest replica instead (the published
 * threshold refinement, computed exactly: D'Hondt, found by one selection over
 * the candidate replicas of the experts in the top load bins, or with a heap
 * when a tie at the last replica makes the answer depend on the heap's order).
 * Then every replica is dealt to the GPUs in a serpentine over the replicas
 * sorted by load (GPU 0 … G−1, then G−1 … 0, one slot per GPU per round).
 * Nodes and groups are ignored: any GPU may hold any expert. Everything runs
 * on typed arrays kept between calls, with no comparison sort, and a call
 * allocates nothing once warm: the returned maps are the same objects every
 * call (views of one buffer per map, rewritten each call), and an expert's
 * slot list is one of a set made once (its replicas are consecutive in the
 * sorted order, so the list depends only on where they start and how many).
 */

/** A row is refined when its heaviest replica exceeds the average slot load by this factor. */
const REFINE_ABOVE = 1.06;

/** Replicas are ordered by load through this many buckets (a counting sort, not a comparison sort). */
const BUCKETS = 256;

/** Experts are binned by load through this many buckets to find the few that can take an extra replica. */
const LOAD_BINS = 128;

/**
 * The `k` largest of `values[0 … n−1]` (in no particular order) into `topValue` /
 * `topIndex`, kept as a min-heap on the value. Returns how many.
 */
function topHeaviest(
  values: Float64Array,
  n: number,
  k: number,
  topValue: Float64Array,
  topIndex: Int32Array,
): number {
  if (k <= 0) return 0;
  const size = Math.min(k, n);
  for (let i = 0; i < size; i++) {
    // Sift up.
    const v = values[i] as number;
    let at = i;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((topValue[parent] as number) <= v) break;
      topValue[at] = topValue[parent] as number;
      topIndex[at] = topIndex[parent] as number;
      at = parent;
    }
    topValue[at] = v;
    topIndex[at] = i;
  }
  for (let i = size; i < n; i++) {
    const v = values[i] as number;
    if (v <= (topValue[0] as number)) continue;
    // Replace the smallest and sift down.
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && (topValue[child + 1] as number) < (topValue[child] as number)) child++;
      if ((topValue[child] as number) >= v) break;
      topValue[at] = topValue[child] as number;
      topIndex[at] = topIndex[child] as number;
      at = child;
    }
    topValue[at] = v;
    topIndex[at] = i;
  }
  return size;
}

/**
 * Quickselect: reorders `keys[0 … n−1]` (and `owner` alongside) so that `keys[k]` is the
 * (k + 1)-th largest, with larger or equal keys before it and smaller or equal after.
 */
function selectLargest(keys: Float64Array, owner: Int32Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = keys[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((keys[i] as number) > pivot) i++;
      while ((keys[j] as number) < pivot) j--;
      if (i <= j) {
        const t = keys[i] as number;
        keys[i] = keys[j] as number;
        keys[j] = t;
        const o = owner[i] as number;
        owner[i] = owner[j] as number;
        owner[j] = o;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
}

/** Restores the max-heap `heap[0 … size−1]` (of indices into `key`) below position `at`. */
function siftDown(heap: Int32Array, key: Float64Array, at: number, size: number): void {
  const item = heap[at] as number;
  const value = key[item] as number;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= size) break;
    if (
      child + 1 < size &&
      (key[heap[child + 1] as number] as number) > (key[heap[child] as number] as number)
    ) {
      child++;
    }
    if ((key[heap[child] as number] as number) <= value) break;
    heap[at] = heap[child] as number;
    at = child;
  }
  heap[at] = item;
}

/**
 * Everything a shape needs, allocated once and reused by every call of that
 * shape: the work arrays and the returned maps themselves (each call rewrites
 * every entry; the caller copies the maps before the next call).
 */
class Balancer {
  readonly w: Float64Array;
  readonly remainder: Float64Array;
  // The heaviest experts (or largest remainders) and their replica counts.
  readonly topValue: Float64Array;
  readonly topIndex: Int32Array;
  readonly topCount: Int32Array;
  readonly topLoad: Float64Array;
  readonly heap: Int32Array;
  /** Load bins of the experts, and how many experts fall in each (the quick D'Hondt). */
  /** The experts of each load bin, chained: `binHead[b]` the first (−1: none), `nextInBin[e]` the one after `e`. */
  readonly binHead: Int32Array;
  readonly nextInBin: Int32Array;
  readonly binCount: Int32Array;
  /** The candidate extra replicas of the quick D'Hondt: load per replica, and whose. */
  readonly keys: Float64Array;
  readonly owner: Int32Array;
  /** The layer's total load, its largest load (which the load bins span), and the bins' scale (0: no bins). */
  total = 0;
  most = 0;
  binScale = 0;
  /** Whether the full D'Hondt search has run (see `layer`). */
  searched = false;
  readonly bucketOf: Int32Array;
  readonly bucketStart: Int32Array;
  /** `slotOf[k]`: the slot the serpentine deal gives the k-th heaviest replica. */
  readonly slotOf: Int32Array;
  /**
   * `lists[k][c]`: `slotOf[k … k + c − 1]` as an array, the slot list of an
   * expert whose `c` replicas are the k-th to (k + c − 1)-th heaviest. Made
   * when first needed and shared by every layer and call, so that a call
   * allocates next to nothing (arrays allocated by the optimised code and kept
   * from call to call would make V8 move that allocation to the old generation
   * and throw the optimised code away).
   */
  readonly lists: number[][][];
  /** `single[k]`: `[slotOf[k]]`, the slot list of an expert with one replica, the k-th heaviest. */
  readonly single: number[][];
  readonly placement: { phy2log: Int32Array[]; log2phy: number[][][]; logcnt: Int32Array[] };

  constructor(
    readonly layers: number,
    readonly experts: number,
    readonly numReplicas: number,
    readonly numGpus: number,
  ) {
    this.w = new Float64Array(experts);
    this.remainder = new Float64Array(experts);
    this.topValue = new Float64Array(experts + 1);
    this.topIndex = new Int32Array(experts + 1);
    this.topCount = new Int32Array(experts + 1);
    this.topLoad = new Float64Array(experts + 1);
    this.heap = new Int32Array(experts + 1);
    this.binHead = new Int32Array(LOAD_BINS);
    this.nextInBin = new Int32Array(experts);
    this.binCount = new Int32Array(LOAD_BINS);
    this.keys = new Float64Array(4 * (experts + numReplicas) + 64);
    this.owner = new Int32Array(this.keys.length);
    this.bucketOf = new Int32Array(experts);
    this.bucketStart = new Int32Array(BUCKETS + 1);
    // Serpentine deal, heaviest first: round r gives slot r of every GPU, left to right on
    // even rounds and right to left on odd ones.
    const perGpu = numReplicas / numGpus;
    this.slotOf = new Int32Array(numReplicas);
    for (let k = 0; k < numReplicas; k++) {
      const round = Math.floor(k / numGpus);
      const pos = k % numGpus;
      this.slotOf[k] = (round % 2 === 0 ? pos : numGpus - 1 - pos) * perGpu + round;
    }
    this.lists = [];
    this.single = [];
    for (let k = 0; k < numReplicas; k++) {
      this.lists.push([]);
      this.single.push([this.slotOf[k] as number]);
    }
    // The maps: each layer a view of one buffer per map, and one list array per layer.
    const slotsAll = new Int32Array(layers * numReplicas);
    const countsAll = new Int32Array(layers * experts);
    const phy2log: Int32Array[] = [];
    const log2phy: number[][][] = [];
    const logcnt: Int32Array[] = [];
    const none: number[] = [];
    for (let l = 0; l < layers; l++) {
      phy2log.push(slotsAll.subarray(l * numReplicas, (l + 1) * numReplicas));
      logcnt.push(countsAll.subarray(l * experts, (l + 1) * experts));
      log2phy.push(new Array<number[]>(experts).fill(none));
    }
    this.placement = { phy2log, log2phy, logcnt };
  }

  /**
   * D'Hondt without a heap, for the loads in `w` binned by `skewed`: the
   * `extra` replicas go to the `extra` largest loads per replica (`x / j` is expert x's
   * j-th extra replica). Those are found among the few experts in the top bins, by one
   * selection over their candidate replicas. Returns −1, leaving `count` untouched, when
   * the `extra`-th and the next load per replica are equal (which one wins then depends
   * on the heap's order, so the caller runs the heap) or there are too many candidates;
   * else the counts are exactly the heap's, and it returns the heaviest load per replica.
   */
  quickDhondt(extra: number, count: Int32Array): number {
    const { w, binHead, nextInBin, binCount, keys, owner } = this;
    // The lowest bin that, with those above it, holds more than `extra` experts: the
    // (extra + 1)-th largest load per replica is at least the lightest of them (`floor`).
    let bin = LOAD_BINS - 1;
    let seen = 0;
    for (; bin >= 0; bin--) {
      seen += binCount[bin] as number;
      if (seen > extra) break;
    }
    if (bin < 0) return -1;
    // A bound below every load in those bins (a whole bin below, clear of rounding), so also
    // below the (extra + 1)-th largest load per replica. Every load per replica of at least
    // `floor` is a candidate: all that can be among the extra + 1 largest are (an expert's
    // (extra + 2)-th cannot be), and the experts in lower bins have none.
    const floor = ((bin - 1) / (LOAD_BINS - 1)) * this.most;
    let n = 0;
    const room = keys.length;
    for (let b = LOAD_BINS - 1; b >= bin; b--) {
      for (let e = binHead[b] as number; e >= 0; e = nextInBin[e] as number) {
        const x = w[e] as number;
        let load = x;
        for (let j = 1; j <= extra + 1 && load >= floor; load = x / ++j) {
          if (n === room) return -1;
          keys[n] = load;
          owner[n++] = e;
        }
      }
    }
    // keys[0 … extra − 1] the largest, keys[extra] the next one.
    selectLargest(keys, owner, n, extra);
    const next = keys[extra] as number;
    for (let i = 0; i < extra; i++) if ((keys[i] as number) <= next) return -1;
    count.fill(1);
    for (let i = 0; i < extra; i++) {
      const e = owner[i] as number;
      count[e] = (count[e] as number) + 1;
    }
    // The heaviest replica: of an expert with extra ones, or of one without (whose first
    // load per replica, x / 1 = x, is among the candidates past the selected ones; the
    // experts in lower bins are lighter).
    let top = 0;
    for (let i = 0; i < extra; i++) {
      const e = owner[i] as number;
      const load = (w[e] as number) / (count[e] as number);
      if (load > top) top = load;
    }
    for (let i = extra; i < n; i++) {
      const load = keys[i] as number;
      if (load > top && load === (w[owner[i] as number] as number)) top = load;
    }
    return top;
  }

  /**
   * Places layer `l` from its loads `row`. The work is cut into a method per pass, each
   * called once per layer, so that V8 optimises each soon after it gets hot: a call spends
   * less time in slow code while one big method would wait for its (long) compilation.
   */
  layer(row: readonly number[], l: number): void {
    const { experts, numReplicas } = this;
    // The replica counts are computed in place, in the layer's row of logcnt.
    const count = this.placement.logcnt[l] as Int32Array;
    const extra = numReplicas - experts;
    this.load(row);
    // The heaviest load per replica, once known (−1 until then).
    let top = -1;
    if (this.skewed()) {
      // A skewed row: Hamilton leaves some replica far above the average slot whatever the
      // remainders do. Use the counts that minimise the heaviest replica instead (D'Hondt:
      // each extra replica to the expert with the largest load per replica). The first
      // skewed layer this balancer sees takes the full search, so that its code has run
      // (and V8 has seen its types) before a tie sends some later layer there: a branch
      // reached for the first time in optimised code throws that code away. Once is
      // enough; running it on a layer of every call cost each call about 0.1 ms while
      // the search, used that rarely, stayed unoptimised.
      const binScale = this.binScale;
      if (this.searched && binScale > 0 && binScale < Number.POSITIVE_INFINITY && extra > 0 && experts > extra)
        top = this.quickDhondt(extra, count);
      if (top < 0) {
        this.heapDhondt(extra, count);
        this.searched = true;
      }
    } else {
      this.hamilton(extra, count);
    }
    if (top < 0) top = this.heaviestReplica(count);
    this.place(l, count, top);
  }

  /** Copies `row` into `w` and sets `total`, `most` and `plain` (false if a load is negative or NaN). */
  load(row: readonly number[]): void {
    const { experts, w } = this;
    let total = 0;
    let most = 0;
    let plain = true;
    for (let e = 0; e < experts; e++) {
      const x = row[e] as number;
      w[e] = x;
      total += x;
      if (x > most) most = x;
      else if (!(x >= 0)) plain = false;
    }
    if (total <= 0) {
      w.fill(1);
      total = experts;
      most = 1;
      plain = true;
    }
    this.total = total;
    this.most = most;
    this.binScale = plain && most < Number.POSITIVE_INFINITY ? (LOAD_BINS - 1) / most : 0;
  }

  /**
   * Whether Hamilton would leave some replica above the average slot by more than
   * REFINE_ABOVE whatever the remainders do. `heaviest` is the load per replica even if an
   * expert also gets a remainder replica: x / 2 for most experts (no whole extra replica),
   * so only their largest load is kept, halved once at the end (halving is exact). The
   * same pass bins the loads for the quick D'Hondt.
   */
  skewed(): boolean {
    const { experts, numReplicas, w, binHead, nextInBin, binCount, total, binScale } = this;
    let heaviest = 0;
    let lightest = 0;
    const perExtra = (numReplicas - experts) / total;
    binCount.fill(0);
    binHead.fill(-1);
    for (let e = 0; e < experts; e++) {
      const x = w[e] as number;
      // Loads are non-negative (and finite, from JSON): `| 0` is Math.floor here, and cheaper.
      const whole = (x * perExtra) | 0;
      if (whole === 0) {
        if (x > lightest) lightest = x;
      } else {
        const load = x / (2 + whole);
        if (load > heaviest) heaviest = load;
      }
      const bin = (x * binScale) | 0;
      nextInBin[e] = binHead[bin] as number;
      binHead[bin] = e;
      binCount[bin] = (binCount[bin] as number) + 1;
    }
    if (lightest / 2 > heaviest) heaviest = lightest / 2;
    return heaviest > REFINE_ABOVE * (total / numReplicas);
  }

  /**
   * D'Hondt with a heap: the full search, exact whatever the ties (the quick one defers to
   * it when equal loads per replica compete for the last replica, since the heap's order
   * then decides). Only the `extra` heaviest experts can receive one, so the search runs
   * over them alone.
   */
  heapDhondt(extra: number, count: Int32Array): void {
    const { experts, w, topValue, topIndex, topCount, topLoad, heap } = this;
    const kept = topHeaviest(w, experts, extra, topValue, topIndex);
    count.fill(1);
    // A max-heap of the candidates on their load per replica.
    for (let k = 0; k < kept; k++) {
      heap[k] = k;
      topCount[k] = 1;
      topLoad[k] = topValue[k] as number;
    }
    for (let k = (kept >> 1) - 1; k >= 0; k--) siftDown(heap, topLoad, k, kept);
    for (let g = 0; g < extra; g++) {
      const best = heap[0] as number;
      const c = (topCount[best] as number) + 1;
      topCount[best] = c;
      topLoad[best] = (topValue[best] as number) / c;
      siftDown(heap, topLoad, 0, kept);
    }
    for (let k = 0; k < kept; k++) count[topIndex[k] as number] = topCount[k] as number;
  }

  /** Hamilton: one replica each, the extra ones in proportion to load, leftovers to the largest remainders. */
  hamilton(extra: number, count: Int32Array): void {
    const { experts, w, remainder, total, topValue, topIndex } = this;
    const perExtra = extra / total;
    let given = 0;
    for (let e = 0; e < experts; e++) {
      const quota = (w[e] as number) * perExtra;
      const whole = Math.floor(quota);
      remainder[e] = quota - whole;
      count[e] = 1 + whole;
      given += whole;
    }
    const kept = topHeaviest(remainder, experts, extra - given, topValue, topIndex);
    for (let k = 0; k < kept; k++) {
      const e = topIndex[k] as number;
      count[e] = (count[e] as number) + 1;
    }
  }

  /** The heaviest load per replica. */
  heaviestReplica(count: Int32Array): number {
    const { experts, w } = this;
    let top = 0;
    for (let e = 0; e < experts; e++) {
      const c = count[e] as number;
      const load = c === 1 ? (w[e] as number) : (w[e] as number) / c;
      if (load > top) top = load;
    }
    return top;
  }

  /**
   * Replicas by load, heaviest first: a counting sort of the experts on their load per
   * replica (`top` the heaviest), then every replica straight to its slot.
   */
  place(l: number, count: Int32Array, top: number): void {
    const { experts, w, bucketOf, bucketStart, slotOf, single } = this;
    const cache = this.lists;
    const scale = top > 0 ? (BUCKETS - 1) / top : 0;
    bucketStart.fill(0);
    for (let e = 0; e < experts; e++) {
      const c = count[e] as number;
      const load = c === 1 ? (w[e] as number) : (w[e] as number) / c;
      // load · scale is in [0, BUCKETS − 1]: `| 0` is Math.floor here.
      const b = BUCKETS - 1 - ((load * scale) | 0);
      bucketOf[e] = b;
      bucketStart[b + 1] = (bucketStart[b + 1] as number) + c;
    }
    for (let b = 0; b < BUCKETS; b++)
      bucketStart[b + 1] = (bucketStart[b + 1] as number) + (bucketStart[b] as number);
    const slots = this.placement.phy2log[l] as Int32Array;
    const lists = this.placement.log2phy[l] as number[][];
    for (let e = 0; e < experts; e++) {
      const b = bucketOf[e] as number;
      const at = bucketStart[b] as number;
      const c = count[e] as number;
      bucketStart[b] = at + c;
      if (c === 1) {
        slots[slotOf[at] as number] = e;
        lists[e] = single[at] as number[];
        continue;
      }
      // An expert's replicas are consecutive in the order: its slots are slotOf[at … at + c − 1].
      for (let j = 0; j < c; j++) slots[slotOf[at + j] as number] = e;
      const byCount = cache[at] as number[][];
      let list = byCount[c];
      if (list === undefined) {
        list = Array.from(slotOf.subarray(at, at + c));
        byCount[c] = list;
      }
      lists[e] = list;
    }
  }
}

let balancer: Balancer | undefined;

export function rebalanceExperts(
  weight: Weights,
  numReplicas: number,
  _numGroups: number,
  _numNodes: number,
  numGpus: number,
): Placement {
  const layers = weight.length;
  const experts = (weight[0] as readonly number[]).length;
  let b = balancer;
  if (
    b === undefined ||
    b.layers !== layers ||
    b.experts !== experts ||
    b.numReplicas !== numReplicas ||
    b.numGpus !== numGpus
  ) {
    b = new Balancer(layers, experts, numReplicas, numGpus);
    balancer = b;
  }
  for (let l = 0; l < layers; l++) b.layer(weight[l] as readonly number[], l);
  return b.placement;
}
// EVOLVE-BLOCK-END
