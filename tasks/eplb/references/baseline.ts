import type { Placement, Weights } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * DeepSeek's open-source EPLB (hierarchical): expert groups are packed onto
 * nodes, experts are replicated inside each node, and the node's replicas are
 * packed onto its GPUs.
 */

/** A replica goes to the expert with the largest load / count^COUNT_EXPONENT (1.0: DeepSeek's rule). */
const COUNT_EXPONENT = 1.0;

interface Packing {
  /** packIndex[x][i]: the pack item i of row x goes to. */
  packIndex: number[][];
  /** rankInPack[x][i]: its position inside that pack. */
  rankInPack: number[][];
}

/**
 * Packs the n items of each row into numPacks packs of n / numPacks items:
 * heaviest item first, each into the lightest pack that still has room.
 */
function balancedPacking(weight: number[][], numPacks: number): Packing {
  const packIndex: number[][] = [];
  const rankInPack: number[][] = [];
  for (const row of weight) {
    const n = row.length;
    const perPack = n / numPacks;
    const index = new Array<number>(n).fill(-1);
    const rank = new Array<number>(n).fill(-1);
    if (perPack === 1) {
      for (let i = 0; i < n; i++) {
        index[i] = i;
        rank[i] = 0;
      }
    } else {
      const order = Array.from({ length: n }, (_, i) => i).sort(
        (a, b) => (row[b] as number) - (row[a] as number),
      );
      const packWeight = new Array<number>(numPacks).fill(0);
      const packItems = new Array<number>(numPacks).fill(0);
      for (const item of order) {
        let pack = -1;
        for (let p = 0; p < numPacks; p++) {
          if ((packItems[p] as number) >= perPack) continue;
          if (pack < 0 || (packWeight[p] as number) < (packWeight[pack] as number)) pack = p;
        }
        index[item] = pack;
        rank[item] = packItems[pack] as number;
        packWeight[pack] = (packWeight[pack] as number) + (row[item] as number);
        packItems[pack] = (packItems[pack] as number) + 1;
      }
    }
    packIndex.push(index);
    rankInPack.push(rank);
  }
  return { packIndex, rankInPack };
}

interface Replication {
  /** phy2log[x][p]: the logical expert of physical expert p. */
  phy2log: number[][];
  /** rank[x][p]: which replica of its expert p is. */
  rank: number[][];
  /** logcnt[x][e]: replicas of expert e. */
  logcnt: number[][];
}

/**
 * Gives every expert of a row one physical expert, then hands out the
 * remaining numPhysical − numLogical one at a time to the expert with the
 * largest load per replica.
 */
function replicateExperts(weight: number[][], numPhysical: number): Replication {
  const phy2log: number[][] = [];
  const rank: number[][] = [];
  const logcnt: number[][] = [];
  for (const row of weight) {
    const numLogical = row.length;
    const map = Array.from({ length: numPhysical }, (_, p) => p);
    const ranks = new Array<number>(numPhysical).fill(0);
    const counts = new Array<number>(numLogical).fill(1);
    for (let p = numLogical; p < numPhysical; p++) {
      let best = 0;
      let bestLoad = Number.NEGATIVE_INFINITY;
      for (let e = 0; e < numLogical; e++) {
        const c = counts[e] as number;
        const load = (row[e] as number) / (COUNT_EXPONENT === 1 ? c : c ** COUNT_EXPONENT);
        if (load > bestLoad) {
          bestLoad = load;
          best = e;
        }
      }
      map[p] = best;
      ranks[p] = counts[best] as number;
      counts[best] = (counts[best] as number) + 1;
    }
    phy2log.push(map);
    rank.push(ranks);
    logcnt.push(counts);
  }
  return { phy2log, rank, logcnt };
}

/** inverse[x][perm[x][i]] = i. */
function inverse(perm: number[][]): number[][] {
  return perm.map((row) => {
    const inv = new Array<number>(row.length);
    row.forEach((v, i) => {
      inv[v] = i;
    });
    return inv;
  });
}

function rebalanceHierarchical(
  weight: Weights,
  numPhysical: number,
  numGroups: number,
  numNodes: number,
  numGpus: number,
): { phy2log: number[][]; rank: number[][]; logcnt: number[][] } {
  const numLayers = weight.length;
  const numLogical = (weight[0] as readonly number[]).length;
  const groupSize = numLogical / numGroups;
  const groupsPerNode = numGroups / numNodes;
  const physicalPerGpu = numPhysical / numGpus;
  const logicalPerNode = numLogical / numNodes;
  const physicalPerNode = numPhysical / numNodes;

  // Step 1: pack expert groups onto nodes. "mlog" numbers experts node by node.
  const tokensPerGroup = weight.map((row) => {
    const sums = new Array<number>(numGroups).fill(0);
    row.forEach((w, e) => {
      const g = Math.floor(e / groupSize);
      sums[g] = (sums[g] as number) + w;
    });
    return sums;
  });
  const groups = balancedPacking(tokensPerGroup, numNodes);
  const log2mlog = weight.map((row, l) =>
    row.map((_, e) => {
      const g = Math.floor(e / groupSize);
      const pack = (groups.packIndex[l] as number[])[g] as number;
      const rank = (groups.rankInPack[l] as number[])[g] as number;
      return (pack * groupsPerNode + rank) * groupSize + (e % groupSize);
    }),
  );
  const mlog2log = inverse(log2mlog);

  // Step 2: replicate experts within each node.
  const tokensPerMlog: number[][] = [];
  for (let l = 0; l < numLayers; l++) {
    for (let n = 0; n < numNodes; n++) {
      const row: number[] = [];
      for (let i = 0; i < logicalPerNode; i++) {
        const e = (mlog2log[l] as number[])[n * logicalPerNode + i] as number;
        row.push((weight[l] as readonly number[])[e] as number);
      }
      tokensPerMlog.push(row);
    }
  }
  const replicated = replicateExperts(tokensPerMlog, physicalPerNode);

  // Step 3: pack each node's physical experts onto its GPUs.
  const tokensPerPhysical = replicated.phy2log.map((map, x) =>
    map.map(
      (m) =>
        ((tokensPerMlog[x] as number[])[m] as number) / ((replicated.logcnt[x] as number[])[m] as number),
    ),
  );
  const gpusPacking = balancedPacking(tokensPerPhysical, numGpus / numNodes);
  const phy2pphy = gpusPacking.packIndex.map((packs, x) =>
    packs.map((pack, i) => pack * physicalPerGpu + ((gpusPacking.rankInPack[x] as number[])[i] as number)),
  );
  const pphy2phy = inverse(phy2pphy);

  const phy2log: number[][] = [];
  const rank: number[][] = [];
  const logcnt: number[][] = [];
  for (let l = 0; l < numLayers; l++) {
    const slots: number[] = [];
    const ranks: number[] = [];
    const counts = new Array<number>(numLogical).fill(0);
    for (let n = 0; n < numNodes; n++) {
      const x = l * numNodes + n;
      for (let j = 0; j < physicalPerNode; j++) {
        const phy = (pphy2phy[x] as number[])[j] as number;
        const mlog = ((replicated.phy2log[x] as number[])[phy] as number) + n * logicalPerNode;
        slots.push((mlog2log[l] as number[])[mlog] as number);
        ranks.push((replicated.rank[x] as number[])[phy] as number);
      }
      for (let i = 0; i < logicalPerNode; i++) {
        const e = (mlog2log[l] as number[])[n * logicalPerNode + i] as number;
        counts[e] = (replicated.logcnt[x] as number[])[i] as number;
      }
    }
    phy2log.push(slots);
    rank.push(ranks);
    logcnt.push(counts);
  }
  return { phy2log, rank, logcnt };
}

/**
 * Places the replicas of every layer's experts on the physical slots: slot p
 * is on GPU ⌊p / (numReplicas / numGpus)⌋, and GPUs 8n … 8n + 7 form node n.
 */
export function rebalanceExperts(
  weight: Weights,
  numReplicas: number,
  numGroups: number,
  numNodes: number,
  numGpus: number,
): Placement {
  const hierarchical = numGroups % numNodes === 0;
  const { phy2log, rank, logcnt } = hierarchical
    ? rebalanceHierarchical(weight, numReplicas, numGroups, numNodes, numGpus)
    : rebalanceHierarchical(weight, numReplicas, 1, 1, numGpus);
  const log2phy = logcnt.map((counts) => counts.map((c) => new Array<number>(c).fill(-1)));
  phy2log.forEach((slots, l) => {
    slots.forEach((e, p) => {
      ((log2phy[l] as number[][])[e] as number[])[(rank[l] as number[])[p] as number] = p;
    });
  });
  return { phy2log, log2phy, logcnt };
}
// EVOLVE-BLOCK-END
