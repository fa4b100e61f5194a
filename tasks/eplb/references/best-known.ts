import type { Placement, Weights } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known, built from the published ideas: replica counts by Hamilton
 * (largest-remainder) apportionment; on a skewed row, where Hamilton leaves
 * some replica well above the average slot load whatever the remainders do,
 * the counts that minimise the heaviest replica instead (the published
 * threshold refinement, computed exactly: D'Hondt over the heaviest experts).
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
    for (let k = 0; k < numReplicas; k++) this.lists.push([]);
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
   * Places layer `l` from its loads `row`. A method of its own, called once per
   * layer, so that it is optimised as a whole after the first call.
   */
  layer(row: readonly number[], l: number): void {
    const { experts, numReplicas, w, remainder, topValue, topIndex, topCount, topLoad } = this;
    const { heap, bucketOf, bucketStart, slotOf } = this;
    const cache = this.lists;
    // The replica counts are computed in place, in the layer's row of logcnt.
    const count = this.placement.logcnt[l] as Int32Array;
    const extra = numReplicas - experts;
    let total = 0;
    for (let e = 0; e < experts; e++) {
      const x = row[e] as number;
      w[e] = x;
      total += x;
    }
    if (total <= 0) {
      w.fill(1);
      total = experts;
    }

    // Hamilton: one replica each, the extra ones in proportion to load, leftovers to the
    // largest remainders. `heaviest` is the load per replica even if an expert also gets a
    // remainder replica: x / 2 for most experts (no whole extra replica), so only their
    // largest load is kept, halved once at the end (halving is exact).
    let given = 0;
    let heaviest = 0;
    let lightest = 0;
    const perExtra = extra / total;
    for (let e = 0; e < experts; e++) {
      const x = w[e] as number;
      const quota = x * perExtra;
      const whole = Math.floor(quota);
      remainder[e] = quota - whole;
      if (whole === 0) {
        count[e] = 1;
        if (x > lightest) lightest = x;
      } else {
        count[e] = 1 + whole;
        given += whole;
        const load = x / (2 + whole);
        if (load > heaviest) heaviest = load;
      }
    }
    if (lightest / 2 > heaviest) heaviest = lightest / 2;
    const average = total / numReplicas;
    if (heaviest > REFINE_ABOVE * average) {
      // A skewed row: Hamilton leaves some replica far above the average slot whatever the
      // remainders do. Use the counts that minimise the heaviest replica instead (D'Hondt:
      // each extra replica to the expert with the largest load per replica). Only the
      // `extra` heaviest experts can receive one, so the search runs over them alone.
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
    } else {
      const left = extra - given;
      const kept = topHeaviest(remainder, experts, left, topValue, topIndex);
      for (let k = 0; k < kept; k++) {
        const e = topIndex[k] as number;
        count[e] = (count[e] as number) + 1;
      }
    }

    // Replicas by load, heaviest first: a counting sort of the experts on their load per
    // replica (`remainder` now holds that load), then every replica straight to its slot.
    const per = remainder;
    let top = 0;
    for (let e = 0; e < experts; e++) {
      const c = count[e] as number;
      const load = c === 1 ? (w[e] as number) : (w[e] as number) / c;
      per[e] = load;
      if (load > top) top = load;
    }
    const scale = top > 0 ? (BUCKETS - 1) / top : 0;
    bucketStart.fill(0);
    for (let e = 0; e < experts; e++) {
      const b = BUCKETS - 1 - Math.floor((per[e] as number) * scale);
      bucketOf[e] = b;
      bucketStart[b + 1] = (bucketStart[b + 1] as number) + (count[e] as number);
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
