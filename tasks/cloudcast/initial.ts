import type { Link, Problem, Topology } from "./api.ts";

// EVOLVE-BLOCK-START
/** A link's weight in the path search is its egress price raised to this power. */
const PRICE_EXPONENT = 1.0;

/**
 * The cheapest path from the source to `dst` (Dijkstra over link prices),
 * never going back through the source.
 */
function cheapestPath(problem: Problem, dst: string): string[] {
  const dist = new Map<string, number>([[problem.source, 0]]);
  const prev = new Map<string, string>();
  const done = new Set<string>();
  for (;;) {
    let u: string | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const r of problem.regions) {
      const d = dist.get(r);
      if (d !== undefined && d < best && !done.has(r)) {
        u = r;
        best = d;
      }
    }
    if (u === undefined || u === dst) break;
    done.add(u);
    for (const v of problem.neighbours(u)) {
      if (v === problem.source) continue;
      const d = best + problem.cost(u, v) ** PRICE_EXPONENT;
      if (d < (dist.get(v) ?? Number.POSITIVE_INFINITY)) {
        dist.set(v, d);
        prev.set(v, u);
      }
    }
  }
  const path = [dst];
  while (path[0] !== problem.source) {
    const before = prev.get(path[0] as string);
    if (before === undefined) throw new Error(`no path from ${problem.source} to ${dst}`);
    path.unshift(before);
  }
  return path;
}

/** Every partition goes to every destination along that destination's cheapest path. */
export function broadcast(problem: Problem): Topology {
  const topology: Record<string, Link[][]> = {};
  for (const dst of problem.destinations) {
    const path = cheapestPath(problem, dst);
    const links = path.slice(1).map((to, i): Link => [path[i] as string, to]);
    topology[dst] = Array.from({ length: problem.partitions }, () => links);
  }
  return topology;
}
// EVOLVE-BLOCK-END
