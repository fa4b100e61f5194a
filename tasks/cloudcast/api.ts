/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the score is always
 * recomputed outside by task.ts with its own copy of the network and the
 * simulator.
 */
import { Rng } from "../../src/task/api.ts";
import { type CloudcastInput, Network, type Provider } from "./network.ts";
import { parseTopology, simulate } from "./simulator.ts";

export type { Provider, Rng };

/** A directed link between two regions, by name. */
export type Link = readonly [from: string, to: string];
/** The links a partition follows, in order, from the source to one destination. */
export type Path = readonly Link[];
/** For each destination, one path per partition: `topology[dst][p]` carries partition p to dst. */
export type Topology = Readonly<Record<string, readonly Path[]>>;

/** The cost and time of a topology, exactly as the evaluator computes them. */
export interface Evaluation {
  /** Egress plus instance cost, $: the quantity to minimise. */
  cost: number;
  egressCost: number;
  instanceCost: number;
  /** Seconds until the last destination has every partition. */
  transferTime: number;
  /** Seconds until each destination has every partition. */
  destinationTimes: Readonly<Record<string, number>>;
  /** Regions the topology uses, the source and the destinations included. */
  regions: number;
}

/** One broadcast: the network and the transfer to plan over it. */
export class Problem {
  readonly source: string;
  /** In the order the evaluator visits them. */
  readonly destinations: readonly string[];
  /** Number of partitions, ids 0 … partitions−1. */
  readonly partitions: number;
  /** GB sent to every destination. */
  readonly dataVolumeGb: number;
  /** GB per partition. */
  readonly partitionGb: number;
  readonly vmsPerRegion: number;
  /** $ per VM per hour. */
  readonly instancePricePerHour: number;
  /** Every region of the network, `<provider>:<name>`. */
  readonly regions: readonly string[];

  private readonly net: Network;
  private readonly neighbourNames: readonly (readonly string[])[];

  constructor(input: CloudcastInput) {
    this.net = new Network(input);
    this.source = input.source;
    this.destinations = Object.freeze([...input.destinations]);
    this.partitions = input.partitions;
    this.dataVolumeGb = input.dataVolumeGb;
    this.partitionGb = this.net.partitionGb;
    this.vmsPerRegion = input.vmsPerRegion;
    this.instancePricePerHour = input.instancePricePerHour;
    this.regions = Object.freeze([...input.regions]);
    this.neighbourNames = this.net.out.map((targets) =>
      Object.freeze(Array.from(targets, (v) => input.regions[v] as string)),
    );
  }

  /** The provider a region belongs to. */
  provider(region: string): Provider {
    return this.net.provider[this.at(region)] as Provider;
  }

  /** The regions `region` has a link to. */
  neighbours(region: string): readonly string[] {
    return this.neighbourNames[this.at(region)] as readonly string[];
  }

  hasLink(from: string, to: string): boolean {
    const u = this.net.index.get(from);
    const v = this.net.index.get(to);
    return u !== undefined && v !== undefined && this.net.hasLink(u, v);
  }

  /** Egress price of the link, $ per GB. Throws if there is no such link. */
  cost(from: string, to: string): number {
    return this.net.cost[this.link(from, to)] as number;
  }

  /** Throughput of the link with all VMs of a region, Gbit/s. Throws if there is no such link. */
  throughput(from: string, to: string): number {
    return this.net.throughput[this.link(from, to)] as number;
  }

  /** Total ingress a region accepts, all its VMs together, Gbit/s. */
  ingressLimit(region: string): number {
    return this.net.ingress[this.at(region)] as number;
  }

  /** Total egress a region sends, all its VMs together, Gbit/s. */
  egressLimit(region: string): number {
    return this.net.egress[this.at(region)] as number;
  }

  /**
   * Cost and transfer time of a topology, as the evaluator computes them.
   * Throws a RangeError naming the first problem if it is not valid.
   */
  evaluate(topology: Topology): Evaluation {
    const parsed = parseTopology(this.net, topology);
    if (!parsed.ok) throw new RangeError(`evaluate: ${parsed.error}`);
    const o = simulate(this.net, parsed.routes);
    const destinationTimes: Record<string, number> = {};
    this.destinations.forEach((d, i) => {
      destinationTimes[d] = o.destinationTimes[i] as number;
    });
    return {
      cost: o.cost,
      egressCost: o.egressCost,
      instanceCost: o.instanceCost,
      transferTime: o.transferTime,
      destinationTimes,
      regions: o.regions,
    };
  }

  private at(region: string): number {
    const i = this.net.index.get(region);
    if (i === undefined) throw new RangeError(`"${region}" is not a region of the network`);
    return i;
  }

  private link(from: string, to: string): number {
    const u = this.at(from);
    const v = this.at(to);
    if (!this.net.hasLink(u, v)) throw new RangeError(`there is no link ${from} → ${to}`);
    return u * this.net.n + v;
  }
}

/** A seeded random generator, so a randomised program gives the same topology on every run. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
