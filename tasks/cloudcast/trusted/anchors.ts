/**
 * The two plans the score is anchored on, computed by trusted code for any
 * broadcast: the cheapest path per destination (the initial program's plan,
 * scored with the simulator) and a lower bound on the egress cost of any
 * valid topology.
 *
 * This lives in a subfolder on purpose: a candidate may import only the
 * modules directly in the task folder, and the bound below is an exact
 * solver for the egress term.
 */
import type { Network } from "../network.ts";
import { type Outcome, type Routes, simulate } from "../simulator.ts";

/**
 * The route of least egress price from the source to `dst`: Dijkstra over
 * prices, never re-entering the source, regions settled in index order among
 * equal distances and a distance replaced only when strictly better (on the
 * published configurations this reproduces the published plans exactly).
 */
export function cheapestRoute(net: Network, dst: number): Int32Array {
  const n = net.n;
  const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const prev = new Int32Array(n).fill(-1);
  const done = new Uint8Array(n);
  dist[net.source] = 0;
  for (;;) {
    let u = -1;
    for (let r = 0; r < n; r++) {
      if (
        !done[r] &&
        (dist[r] as number) < Number.POSITIVE_INFINITY &&
        (u < 0 || (dist[r] as number) < (dist[u] as number))
      )
        u = r;
    }
    if (u < 0 || u === dst) break;
    done[u] = 1;
    for (const v of net.out[u] as Int32Array) {
      if (v === net.source) continue;
      const d = (dist[u] as number) + (net.cost[u * n + v] as number);
      if (d < (dist[v] as number)) {
        dist[v] = d;
        prev[v] = u;
      }
    }
  }
  if (prev[dst] === -1) throw new Error(`no route from ${net.input.source} to ${net.regions[dst]}`);
  const route = [dst];
  while (route[0] !== net.source) route.unshift(prev[route[0] as number] as number);
  return Int32Array.from(route);
}

/** Every partition to every destination along its cheapest route. */
export function cheapestPathPlan(net: Network): Outcome {
  const routes: Routes = Array.from(net.destinations, (d) => {
    const route = cheapestRoute(net, d);
    return Array.from({ length: net.partitions }, () => route);
  });
  return simulate(net, routes);
}

/**
 * A lower bound on the egress cost, $: every partition must reach every
 * destination, so the links it crosses contain an arborescence from the
 * source spanning the destinations, and it pays at least the cheapest such
 * arborescence. Computed exactly (Dreyfus–Wagner over subsets of
 * destinations), times the data volume.
 */
export function egressLowerBound(net: Network): number {
  const n = net.n;
  const terminals = net.destinations;
  const k = terminals.length;
  if (k > 16) throw new Error(`egressLowerBound: ${k} destinations is too many for the exact bound`);
  const full = (1 << k) - 1;
  // best[S][v]: cheapest arborescence rooted at v that reaches every destination in S.
  const best: Float64Array[] = [new Float64Array(0)];
  const done = new Uint8Array(n);
  for (let S = 1; S <= full; S++) {
    const d = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    if ((S & (S - 1)) === 0) d[terminals[31 - Math.clz32(S)] as number] = 0;
    for (let A = (S - 1) & S; A > 0; A = (A - 1) & S) {
      const B = S ^ A;
      if (A < B) continue;
      const a = best[A] as Float64Array;
      const b = best[B] as Float64Array;
      for (let v = 0; v < n; v++) {
        const c = (a[v] as number) + (b[v] as number);
        if (c < (d[v] as number)) d[v] = c;
      }
    }
    // Then extend roots backwards along links: d[v] = min over links v→u of price + d[u].
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
        if (done[v] || !net.hasLink(v, u)) continue;
        const c = (net.cost[v * n + u] as number) + (d[u] as number);
        if (c < (d[v] as number)) d[v] = c;
      }
    }
    best.push(d);
  }
  return ((best[full] as Float64Array)[net.source] as number) * net.input.dataVolumeGb;
}
