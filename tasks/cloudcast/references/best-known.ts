import type { Link, Problem, Topology } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known: one relay tree shared by every destination and partition.
 *
 * Egress is paid once per link and partition however many destinations sit
 * behind the link, so the cheapest plan for the egress term sends every
 * partition along the cheapest arborescence from the source that reaches all
 * destinations (a directed Steiner tree). With six or seven destinations it
 * is found exactly by dynamic programming over subsets of destinations
 * (Dreyfus–Wagner); among trees of equal price it prefers fast links. Then a
 * local search on the full cost (egress plus VM time) moves tree nodes to
 * other parents or behind a new relay whenever that lowers it, which mostly
 * shortens the transfer by spreading fan-out over regions.
 */

/** Tie-break between trees of equal price: this much per (1 / Gbit/s) of each link. */
const SPEED_TIE_BREAK = 1e-7;
const MAX_PASSES = 8;

interface Graph {
  n: number;
  names: readonly string[];
  index: Map<string, number>;
  /** Link weight by from·n + to; Infinity where there is no link. */
  weight: Float64Array;
}

function graphOf(problem: Problem): Graph {
  const names = problem.regions;
  const n = names.length;
  const index = new Map(names.map((r, i) => [r, i]));
  const weight = new Float64Array(n * n).fill(Number.POSITIVE_INFINITY);
  names.forEach((from, u) => {
    for (const to of problem.neighbours(from)) {
      const v = index.get(to) as number;
      weight[u * n + v] = problem.cost(from, to) + SPEED_TIE_BREAK / problem.throughput(from, to);
    }
  });
  return { n, names, index, weight };
}

/** The cheapest arborescence from `root` reaching every terminal, as a parent array (−1: not in the tree). */
function steinerTree(g: Graph, root: number, terminals: readonly number[]): Int32Array {
  const { n, weight } = g;
  const k = terminals.length;
  const full = (1 << k) - 1;
  // best[S][v]: cheapest tree rooted at v reaching the terminals in S; how[S][v] says how it was built:
  // ≥ 0 the first hop v → how, < −1 a split of S into −how − 2 and the rest, −1 v is the terminal itself.
  const best: Float64Array[] = [new Float64Array(0)];
  const how: Int32Array[] = [new Int32Array(0)];
  const done = new Uint8Array(n);
  for (let S = 1; S <= full; S++) {
    const d = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    const h = new Int32Array(n).fill(-1);
    if ((S & (S - 1)) === 0) d[terminals[31 - Math.clz32(S)] as number] = 0;
    for (let A = (S - 1) & S; A > 0; A = (A - 1) & S) {
      if (A < (S ^ A)) continue;
      const a = best[A] as Float64Array;
      const b = best[S ^ A] as Float64Array;
      for (let v = 0; v < n; v++) {
        const c = (a[v] as number) + (b[v] as number);
        if (c < (d[v] as number)) {
          d[v] = c;
          h[v] = -A - 2;
        }
      }
    }
    done.fill(0);
    for (;;) {
      let u = -1;
      for (let r = 0; r < n; r++) {
        if (
          !done[r] &&
          (d[r] as number) < Number.POSITIVE_INFINITY &&
          (u < 0 || (d[r] as number) < (d[u] as number))
        )
          u = r;
      }
      if (u < 0) break;
      done[u] = 1;
      for (let v = 0; v < n; v++) {
        if (done[v]) continue;
        const c = (weight[v * n + u] as number) + (d[u] as number);
        if (c < (d[v] as number)) {
          d[v] = c;
          h[v] = u;
        }
      }
    }
    best.push(d);
    how.push(h);
  }
  const parent = new Int32Array(n).fill(-1);
  const build = (S: number, v: number): void => {
    const h = (how[S] as Int32Array)[v] as number;
    if (h >= 0) {
      parent[h] = v;
      build(S, h);
    } else if (h < -1) {
      const A = -h - 2;
      build(A, v);
      build(S ^ A, v);
    }
  };
  build(full, root);
  return parent;
}

function isAncestor(parent: Int32Array, a: number, v: number): boolean {
  for (let x = v; x >= 0; x = parent[x] as number) if (x === a) return true;
  return false;
}

/** Drops relays (tree nodes that are not destinations) with nothing below them. */
function prune(parent: Int32Array, isDestination: Uint8Array): void {
  for (let changed = true; changed; ) {
    changed = false;
    const children = new Int32Array(parent.length);
    for (const p of parent) if (p >= 0) children[p] = (children[p] as number) + 1;
    parent.forEach((p, v) => {
      if (p >= 0 && !isDestination[v] && children[v] === 0) {
        parent[v] = -1;
        changed = true;
      }
    });
  }
}

function topologyOf(problem: Problem, g: Graph, parent: Int32Array): Topology {
  const source = g.index.get(problem.source) as number;
  const topology: Record<string, Link[][]> = {};
  for (const dst of problem.destinations) {
    const route = [g.index.get(dst) as number];
    while (route[0] !== source) route.unshift(parent[route[0] as number] as number);
    const links = route
      .slice(1)
      .map((v, i): Link => [g.names[route[i] as number] as string, g.names[v] as string]);
    topology[dst] = Array.from({ length: problem.partitions }, () => links);
  }
  return topology;
}

/** First-improvement moves of single tree nodes, on the evaluator's own cost. */
function improve(problem: Problem, g: Graph, parent: Int32Array, isDestination: Uint8Array): void {
  const source = g.index.get(problem.source) as number;
  const costOf = () => problem.evaluate(topologyOf(problem, g, parent)).cost;
  let current = costOf();
  const accept = (): boolean => {
    const c = costOf();
    if (c < current - 1e-9) {
      current = c;
      return true;
    }
    return false;
  };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let improved = false;
    for (let v = 0; v < g.n; v++) {
      const old = parent[v] as number;
      if (old < 0) continue;
      const inTree = (u: number) => u === source || (parent[u] as number) >= 0;
      for (let u = 0; u < g.n; u++) {
        if (u === v || u === old || isAncestor(parent, v, u)) continue;
        if (inTree(u)) {
          // Hang v (and everything below it) from another tree node.
          if (!Number.isFinite(g.weight[u * g.n + v] as number)) continue;
          parent[v] = u;
          if (accept()) {
            improved = true;
            break;
          }
          parent[v] = old;
        } else {
          // Put a new relay u between v and its parent.
          if (!Number.isFinite((g.weight[old * g.n + u] as number) + (g.weight[u * g.n + v] as number)))
            continue;
          parent[u] = old;
          parent[v] = u;
          if (accept()) {
            improved = true;
            break;
          }
          parent[v] = old;
          parent[u] = -1;
        }
      }
    }
    prune(parent, isDestination);
    current = costOf();
    if (!improved) break;
  }
}

export function broadcast(problem: Problem): Topology {
  const g = graphOf(problem);
  const terminals = problem.destinations.map((d) => g.index.get(d) as number);
  const isDestination = new Uint8Array(g.n);
  for (const t of terminals) isDestination[t] = 1;
  const parent = steinerTree(g, g.index.get(problem.source) as number, terminals);
  improve(problem, g, parent, isDestination);
  return topologyOf(problem, g, parent);
}
// EVOLVE-BLOCK-END
