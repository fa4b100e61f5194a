/**
 * One broadcast problem: the network of cloud regions (links with egress price
 * and throughput) and the transfer to plan over it.
 *
 * Pure and I/O-free: the trusted side (task.ts) and the sandbox side (api.ts)
 * both build a `Network` from the same JSON input, each its own copy.
 */

export const PROVIDERS = ["aws", "gcp", "azure"] as const;
export type Provider = (typeof PROVIDERS)[number];

export type PerProvider = Record<Provider, number>;

/**
 * What the driver receives for one workload (JSON, crosses the sandbox
 * boundary). Links are listed in profile order; throughputs are already
 * multiplied by the VMs per region, limits are per VM as configured.
 */
export interface CloudcastInput {
  /** Region names, `<provider>:<region>`. */
  regions: string[];
  /** Directed links: parallel arrays indexed by link, region indices into `regions`. */
  links: {
    from: number[];
    to: number[];
    /** Egress price of the link, $ per GB. */
    costPerGb: number[];
    /** Throughput of the link with all VMs of a region, Gbit/s. */
    throughputGbps: number[];
  };
  source: string;
  destinations: string[];
  /** Data sent to every destination, GB. */
  dataVolumeGb: number;
  /** The data is cut into this many equal partitions, ids 0 … partitions−1. */
  partitions: number;
  /** VMs in every region the transfer uses. */
  vmsPerRegion: number;
  /** Price of one VM, $ per hour. */
  instancePricePerHour: number;
  /** Per-VM ingress and egress limits by provider, Gbit/s. */
  ingressLimitGbps: PerProvider;
  egressLimitGbps: PerProvider;
}

/** Indexed view of a `CloudcastInput`: lookups by region index, no strings in the inner loops. */
export class Network {
  readonly input: CloudcastInput;
  readonly n: number;
  readonly regions: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly provider: readonly Provider[];
  /** n·n matrices by from·n + to; NaN where there is no link. */
  readonly cost: Float64Array;
  readonly throughput: Float64Array;
  /** Outgoing link targets of each region, in profile order. */
  readonly out: readonly Int32Array[];
  /** Ingress and egress limit of each region with all its VMs, Gbit/s. */
  readonly ingress: Float64Array;
  readonly egress: Float64Array;
  readonly source: number;
  readonly destinations: Int32Array;
  readonly partitions: number;
  readonly partitionGb: number;

  constructor(input: CloudcastInput) {
    this.input = input;
    const n = input.regions.length;
    this.n = n;
    this.regions = input.regions;
    const index = new Map<string, number>();
    const provider: Provider[] = [];
    input.regions.forEach((name, i) => {
      if (index.has(name)) throw new Error(`region "${name}" is listed twice`);
      index.set(name, i);
      provider.push(providerOf(name));
    });
    this.index = index;
    this.provider = provider;

    const { from, to, costPerGb, throughputGbps } = input.links;
    const m = from.length;
    if (to.length !== m || costPerGb.length !== m || throughputGbps.length !== m) {
      throw new Error("links: from, to, costPerGb and throughputGbps must have the same length");
    }
    this.cost = new Float64Array(n * n).fill(Number.NaN);
    this.throughput = new Float64Array(n * n).fill(Number.NaN);
    const out: number[][] = Array.from({ length: n }, () => []);
    for (let e = 0; e < m; e++) {
      const u = from[e] as number;
      const v = to[e] as number;
      if (!Number.isInteger(u) || !Number.isInteger(v) || u < 0 || v < 0 || u >= n || v >= n || u === v) {
        throw new Error(`link ${e}: ${u} → ${v} is not a link between two regions`);
      }
      const c = costPerGb[e] as number;
      const t = throughputGbps[e] as number;
      if (!(c >= 0 && Number.isFinite(c))) throw new Error(`link ${e}: cost ${c} must be a price ≥ 0`);
      if (!(t > 0 && Number.isFinite(t))) throw new Error(`link ${e}: throughput ${t} must be > 0`);
      if (!Number.isNaN(this.cost[u * n + v] as number)) {
        throw new Error(`link ${e}: ${input.regions[u]} → ${input.regions[v]} is listed twice`);
      }
      this.cost[u * n + v] = c;
      this.throughput[u * n + v] = t;
      out[u]?.push(v);
    }
    this.out = out.map((list) => Int32Array.from(list));

    this.ingress = Float64Array.from(provider, (p) => input.ingressLimitGbps[p] * input.vmsPerRegion);
    this.egress = Float64Array.from(provider, (p) => input.egressLimitGbps[p] * input.vmsPerRegion);
    this.source = this.regionIndex(input.source, "source");
    this.destinations = Int32Array.from(input.destinations, (d) => this.regionIndex(d, "destination"));
    if (new Set(this.destinations).size !== this.destinations.length) {
      throw new Error("a destination is listed twice");
    }
    if (this.destinations.includes(this.source)) throw new Error("the source is also a destination");
    if (!Number.isInteger(input.partitions) || input.partitions < 1) {
      throw new Error(`partitions must be a positive integer, got ${input.partitions}`);
    }
    this.partitions = input.partitions;
    this.partitionGb = input.dataVolumeGb / input.partitions;
  }

  /** Whether there is a link from region index u to v. */
  hasLink(u: number, v: number): boolean {
    return !Number.isNaN(this.cost[u * this.n + v] as number);
  }

  private regionIndex(name: string, what: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`${what} "${name}" is not a region of the network`);
    return i;
  }
}

export function providerOf(region: string): Provider {
  const p = region.slice(0, region.indexOf(":"));
  if (!(PROVIDERS as readonly string[]).includes(p)) {
    throw new Error(`region "${region}" does not start with a provider (${PROVIDERS.join(", ")}) and ":"`);
  }
  return p as Provider;
}
