import type { Link, Problem, Topology } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * A shared relay tree, built greedily (Takahashi–Matsuyama): starting from
 * the source, repeatedly attach the destination that is cheapest to reach
 * from any region already in the tree, along that cheapest path. Each
 * region in turn is tried as a hub, attached first; relays with nothing
 * below them are dropped, and the tree of least evaluated cost wins. Every
 * partition follows the tree.
 */
function growTree(problem: Problem, hub: string | null): Map<string, string> {
  const parent = new Map<string, string>();
  const inTree = new Set([problem.source]);
  const attach = (targets: string[]) => {
    const left = new Set(targets.filter((t) => !inTree.has(t)));
    while (left.size > 0) {
      // Dijkstra from the whole tree at once, stopping at the first destination settled.
      const dist = new Map<string, number>();
      const prev = new Map<string, string>();
      for (const r of inTree) dist.set(r, 0);
      const done = new Set<string>();
      let reached: string | undefined;
      for (;;) {
        let u: string | undefined;
        let best = Number.POSITIVE_INFINITY;
        for (const [r, d] of dist) {
          if (d < best && !done.has(r)) {
            u = r;
            best = d;
          }
        }
        if (u === undefined) throw new Error("some destination cannot be reached");
        if (left.has(u)) {
          reached = u;
          break;
        }
        done.add(u);
        for (const v of problem.neighbours(u)) {
          if (inTree.has(v)) continue;
          const d = best + problem.cost(u, v);
          if (d < (dist.get(v) ?? Number.POSITIVE_INFINITY)) {
            dist.set(v, d);
            prev.set(v, u);
          }
        }
      }
      for (let x = reached; !inTree.has(x); x = prev.get(x) as string) {
        inTree.add(x);
        parent.set(x, prev.get(x) as string);
      }
      left.delete(reached);
    }
  };
  if (hub !== null) attach([hub]);
  attach([...problem.destinations]);
  // Drop relays that no destination needs.
  const wanted = new Set(problem.destinations);
  for (let changed = true; changed; ) {
    changed = false;
    const used = new Set(parent.values());
    for (const v of [...parent.keys()]) {
      if (!wanted.has(v) && !used.has(v)) {
        parent.delete(v);
        changed = true;
      }
    }
  }
  return parent;
}

function topologyOf(problem: Problem, parent: Map<string, string>): Topology {
  const topology: Record<string, Link[][]> = {};
  for (const dst of problem.destinations) {
    const route = [dst];
    while (route[0] !== problem.source) route.unshift(parent.get(route[0] as string) as string);
    const links = route.slice(1).map((v, i): Link => [route[i] as string, v]);
    topology[dst] = Array.from({ length: problem.partitions }, () => links);
  }
  return topology;
}

export function broadcast(problem: Problem): Topology {
  let best: Topology | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const hub of [null, ...problem.regions.filter((r) => r !== problem.source)]) {
    const topology = topologyOf(problem, growTree(problem, hub));
    const cost = problem.evaluate(topology).cost;
    if (cost < bestCost) {
      bestCost = cost;
      best = topology;
    }
  }
  return best as Topology;
}
// EVOLVE-BLOCK-END
