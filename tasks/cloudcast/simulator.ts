/**
 * Validation and cost of a broadcast topology (the Cloudcast model, NSDI'24,
 * as the ADRS benchmark scores it).
 *
 * Pure and I/O-free: the trusted side (task.ts) scores outputs with it, and
 * the sandbox side (api.ts) bundles its own copy for candidates.
 *
 * The model: every partition of the data travels to every destination along
 * a path of links. A link carries each partition that crosses it once, however
 * many destinations that partition is bound for; it is billed per GB carried.
 * A link's rate is its measured throughput, cut where a region's total
 * ingress or egress exceeds its provider's limit. A destination is done when
 * the most loaded link on its paths has carried its load; every region used
 * rents its VMs until the last destination is done.
 */
import type { Network } from "./network.ts";

/** One route per destination (in problem order) and partition: region indices from source to destination. */
export type Routes = Int32Array[][];

/** Why a topology is not a valid broadcast, or the routes it describes. */
export type Parsed = { ok: true; routes: Routes } | { ok: false; error: string };

export interface Outcome {
  /** Egress plus instance cost, $. */
  cost: number;
  egressCost: number;
  instanceCost: number;
  /** Time until the last destination has every partition, s. */
  transferTime: number;
  /** Per destination (problem order), s. */
  destinationTimes: Float64Array;
  /** Regions the transfer uses (each rents its VMs for the whole transfer time). */
  regions: number;
  /** Distinct links used. */
  links: number;
  /** The link that sets the transfer time, for feedback. */
  bottleneck: { destination: number; from: number; to: number; flowGbps: number; partitions: number };
}

const BITS_PER_BYTE = 8;
const SECONDS_PER_HOUR = 3600;

/**
 * Checks that `topology` (the candidate's output: destination name → one path
 * per partition, a path a list of `[from, to]` links) delivers every
 * partition to every destination over links of the network, and turns it into
 * region indices. The first problem found is named precisely.
 */
export function parseTopology(net: Network, topology: unknown): Parsed {
  const fail = (error: string): Parsed => ({ ok: false, error });
  if (!isRecord(topology)) {
    return fail(
      `the topology must be an object mapping each destination to its paths, got ${describe(topology)}`,
    );
  }
  const dstNames = net.input.destinations;
  const wanted = new Set(dstNames);
  for (const key of Object.keys(topology)) {
    if (!wanted.has(key))
      return fail(`the topology has paths for "${clip(key)}", which is not a destination`);
  }
  const P = net.partitions;
  const seen = new Uint8Array(net.n);
  const routes: Routes = [];
  for (const dstName of dstNames) {
    const dst = net.index.get(dstName) as number;
    const paths = topology[dstName];
    if (paths === undefined) return fail(`no paths for destination ${dstName}`);
    if (!Array.isArray(paths)) {
      return fail(`${dstName}: the paths must be an array (one path per partition), got ${describe(paths)}`);
    }
    if (paths.length !== P) {
      return fail(`${dstName}: expected ${P} paths (one per partition 0..${P - 1}), got ${paths.length}`);
    }
    const perPartition: Int32Array[] = [];
    for (let p = 0; p < P; p++) {
      const where = `${dstName}, partition ${p}`;
      const path: unknown = paths[p];
      if (!Array.isArray(path))
        return fail(`${where}: the path must be an array of links, got ${describe(path)}`);
      if (path.length === 0) return fail(`${where}: the path is empty`);
      // A path visits each region at most once, so it has fewer links than there are regions.
      if (path.length >= net.n)
        return fail(`${where}: the path has ${path.length} links, more than any path can`);
      const route = new Int32Array(path.length + 1);
      seen.fill(0);
      for (let i = 0; i < path.length; i++) {
        const at = `${where}, link ${i}`;
        const edge: unknown = path[i];
        if (
          !Array.isArray(edge) ||
          edge.length !== 2 ||
          typeof edge[0] !== "string" ||
          typeof edge[1] !== "string"
        ) {
          return fail(`${at}: a link must be [from, to] (two region names), got ${describe(edge)}`);
        }
        const [fromName, toName] = edge as [string, string];
        const from = net.index.get(fromName);
        const to = net.index.get(toName);
        if (from === undefined) return fail(`${at}: "${clip(fromName)}" is not a region`);
        if (to === undefined) return fail(`${at}: "${clip(toName)}" is not a region`);
        if (from === to || !net.hasLink(from, to))
          return fail(`${at}: there is no link ${fromName} → ${toName}`);
        if (i === 0) {
          if (from !== net.source)
            return fail(`${at}: the path starts at ${fromName}, not at the source ${net.input.source}`);
          route[0] = from;
          seen[from] = 1;
        } else if (from !== route[i]) {
          return fail(
            `${at}: ${fromName} → ${toName} does not continue from ${net.regions[route[i] as number]}`,
          );
        }
        if (seen[to]) return fail(`${at}: the path visits ${toName} twice`);
        seen[to] = 1;
        route[i + 1] = to;
      }
      if (route[path.length] !== dst) {
        return fail(
          `${where}: the path ends at ${net.regions[route[path.length] as number]}, not at ${dstName}`,
        );
      }
      perPartition.push(route);
    }
    routes.push(perPartition);
  }
  return { ok: true, routes };
}

/**
 * Transfer time and cost of valid routes (from `parseTopology`).
 *
 * Link rates: a link starts at its throughput; regions are visited in the
 * order they first appear in the routes (destinations in problem order,
 * partitions in order, along each path), and at each one, if its incoming
 * rates sum above its ingress limit, every incoming link is capped at
 * limit / (number of incoming links); then the same for outgoing links and
 * the egress limit.
 */
export function simulate(net: Network, routes: Routes): Outcome {
  const n = net.n;
  const P = net.partitions;
  const edgeOf = new Map<number, number>();
  const eFrom: number[] = [];
  const eTo: number[] = [];
  const eParts: Uint8Array[] = [];
  const order: number[] = [];
  const placed = new Uint8Array(n);
  const visit = (r: number) => {
    if (!placed[r]) {
      placed[r] = 1;
      order.push(r);
    }
  };
  for (const perPartition of routes) {
    for (let p = 0; p < P; p++) {
      const route = perPartition[p] as Int32Array;
      for (let i = 0; i + 1 < route.length; i++) {
        const u = route[i] as number;
        const v = route[i + 1] as number;
        const key = u * n + v;
        let e = edgeOf.get(key);
        if (e === undefined) {
          e = eFrom.length;
          edgeOf.set(key, e);
          eFrom.push(u);
          eTo.push(v);
          eParts.push(new Uint8Array(P));
          visit(u);
          visit(v);
        }
        (eParts[e] as Uint8Array)[p] = 1;
      }
    }
  }
  const m = eFrom.length;
  const load = new Int32Array(m);
  const flow = new Float64Array(m);
  const inEdges: number[][] = Array.from({ length: n }, () => []);
  const outEdges: number[][] = Array.from({ length: n }, () => []);
  let egressCost = 0;
  for (let e = 0; e < m; e++) {
    const u = eFrom[e] as number;
    const v = eTo[e] as number;
    load[e] = (eParts[e] as Uint8Array).reduce((a, b) => a + b, 0);
    flow[e] = net.throughput[u * n + v] as number;
    inEdges[v]?.push(e);
    outEdges[u]?.push(e);
    egressCost += (load[e] as number) * net.partitionGb * (net.cost[u * n + v] as number);
  }

  const cap = (edges: number[], limit: number) => {
    let sum = 0;
    for (const e of edges) sum += flow[e] as number;
    if (sum > limit) {
      const share = limit / edges.length;
      for (const e of edges) if ((flow[e] as number) > share) flow[e] = share;
    }
  };
  for (const r of order) {
    cap(inEdges[r] as number[], net.ingress[r] as number);
    cap(outEdges[r] as number[], net.egress[r] as number);
  }

  const destinationTimes = new Float64Array(routes.length);
  let transferTime = 0;
  let bottleneck = { destination: 0, from: net.source, to: net.source, flowGbps: 0, partitions: 0 };
  routes.forEach((perPartition, d) => {
    let worst = 0;
    for (const route of perPartition) {
      for (let i = 0; i + 1 < route.length; i++) {
        const e = edgeOf.get((route[i] as number) * n + (route[i + 1] as number)) as number;
        const t = ((load[e] as number) * net.partitionGb * BITS_PER_BYTE) / (flow[e] as number);
        if (t > worst) worst = t;
        if (t > transferTime) {
          transferTime = t;
          bottleneck = {
            destination: d,
            from: eFrom[e] as number,
            to: eTo[e] as number,
            flowGbps: flow[e] as number,
            partitions: load[e] as number,
          };
        }
      }
    }
    destinationTimes[d] = worst;
  });

  // VMs are billed on the transfer time rounded to 1/100 s, as published.
  const billedSeconds = Math.round(transferTime * 100) / 100;
  const instanceCost =
    order.length *
    net.input.vmsPerRegion *
    (net.input.instancePricePerHour / SECONDS_PER_HOUR) *
    billedSeconds;
  return {
    cost: egressCost + instanceCost,
    egressCost,
    instanceCost,
    transferTime,
    destinationTimes,
    regions: order.length,
    links: m,
    bottleneck,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(clip(v));
  if (typeof v === "object") return "an object";
  return String(v);
}
