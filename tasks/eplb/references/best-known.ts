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
 * on typed arrays kept between calls, with no comparison sort; the maps are
 * views of one buffer each, and an expert with one replica gets a slot list
 * made once for all layers and calls.
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

/** Work arrays, kept between calls (a call only grows them): fewer allocations, less GC. */
let scratch: ReturnType<typeof allocate> | undefined;

function allocate(experts: number, numReplicas: number) {
  return {
    experts,
    numReplicas,
    w: new Float64Array(experts),
    count: new Int32Array(experts),
    remainder: new Float64Array(experts),
    // The heaviest experts (or largest remainders) and their replica counts.
    topValue: new Float64Array(experts + 1),
    topIndex: new Int32Array(experts + 1),
    topCount: new Int32Array(experts + 1),
    topLoad: new Float64Array(experts + 1),
    heap: new Int32Array(experts + 1),
    bucketOf: new Int32Array(experts),
    per: new Float64Array(experts),
    bucketStart: new Int32Array(BUCKETS + 1),
    sorted: new Int32Array(numReplicas),
    firstSlot: new Int32Array(experts),
  };
}

/**
 * `[slot]` for every slot, made once: most experts have one replica, and their
 * slot lists are shared between layers and calls instead of allocated each time
 * (nothing reads them but the caller, which copies them).
 */
const single: number[][] = [];

export function rebalanceExperts(
  weight: Weights,
  numReplicas: number,
  _numGroups: number,
  _numNodes: number,
  numGpus: number,
): Placement {
  const layers = weight.length;
  const experts = (weight[0] as readonly number[]).length;
  const perGpu = numReplicas / numGpus;
  const extra = numReplicas - experts;
  if (scratch === undefined || scratch.experts !== experts || scratch.numReplicas !== numReplicas) {
    scratch = allocate(experts, numReplicas);
  }
  const { w, count, remainder, topValue, topIndex, topCount, topLoad, heap } = scratch;
  const { bucketOf, per, bucketStart, sorted, firstSlot } = scratch;
  for (let s = single.length; s < numReplicas; s++) single.push([s]);

  // The maps, each layer a view of one buffer per map.
  const slotsAll = new Int32Array(layers * numReplicas);
  const countsAll = new Int32Array(layers * experts);
  const phy2log: Int32Array[] = new Array(layers);
  const log2phy: number[][][] = new Array(layers);
  const logcnt: Int32Array[] = new Array(layers);

  for (let l = 0; l < layers; l++) {
    const row = weight[l] as readonly number[];
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
    // largest remainders.
    let given = 0;
    let heaviest = 0;
    const perExtra = extra / total;
    for (let e = 0; e < experts; e++) {
      const x = w[e] as number;
      const quota = x * perExtra;
      const whole = Math.floor(quota);
      count[e] = 1 + whole;
      given += whole;
      remainder[e] = quota - whole;
      // The load per replica even if this expert also gets a remainder replica.
      const load = x / (2 + whole);
      if (load > heaviest) heaviest = load;
    }
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

    // Replicas by load, heaviest first: a counting sort of the experts on their load per replica.
    let top = 0;
    for (let e = 0; e < experts; e++) {
      const load = (w[e] as number) / (count[e] as number);
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
    for (let e = 0; e < experts; e++) {
      const b = bucketOf[e] as number;
      let at = bucketStart[b] as number;
      for (let j = count[e] as number; j > 0; j--) sorted[at++] = e;
      bucketStart[b] = at;
    }

    // Serpentine deal, heaviest first: round r gives slot r of every GPU, left to right on
    // even rounds and right to left on odd ones. An expert's slots are listed in deal order.
    const slots = slotsAll.subarray(l * numReplicas, (l + 1) * numReplicas);
    const counts = countsAll.subarray(l * experts, (l + 1) * experts);
    const lists: number[][] = new Array(experts);
    let k = 0;
    for (let round = 0; round < perGpu; round++) {
      const forward = round % 2 === 0;
      for (let pos = 0; pos < numGpus; pos++, k++) {
        const e = sorted[k] as number;
        const slot = (forward ? pos : numGpus - 1 - pos) * perGpu + round;
        slots[slot] = e;
        const c = counts[e] as number;
        if (count[e] === 1) lists[e] = single[slot] as number[];
        else if (c === 0) firstSlot[e] = slot;
        else if (c === 1) lists[e] = [firstSlot[e] as number, slot];
        else (lists[e] as number[]).push(slot);
        counts[e] = c + 1;
      }
    }
    phy2log[l] = slots;
    log2phy[l] = lists;
    logcnt[l] = counts;
  }
  return { phy2log, log2phy, logcnt };
}
// EVOLVE-BLOCK-END
