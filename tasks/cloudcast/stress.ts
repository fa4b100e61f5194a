/**
 * The stress split (`adrs audit`, docs/audit.md): synthetic fully linked
 * networks of 12 to 192 regions (train networks have the profiles' regions,
 * broadcasting to 6–7), edge cases (one destination, the source's neighbour
 * only, one partition, a huge volume, equal prices) and a shift to networks
 * where relaying is far cheaper than direct links. Seeded.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import type { CloudcastInput } from "./network.ts";
import { INSTANCE_PRICE_PER_HOUR, VMS_PER_REGION } from "./workloads.ts";

const STRESS_SEED = 0xc10d_57e5;
const PROVIDERS = ["aws", "azure", "gcp"] as const;
export const SCALES = [1, 2, 4, 8, 16] as const;
const BASE_REGIONS = 12;

interface Prices {
  /** $ per GB within one provider, and between providers. */
  intra: () => number;
  inter: () => number;
  throughput: () => number;
}

function network(n: number, prices: Prices): Pick<CloudcastInput, "regions" | "links"> {
  const regions = Array.from({ length: n }, (_, i) => `${PROVIDERS[i % 3]}:region-${i}`);
  const links = {
    from: [] as number[],
    to: [] as number[],
    costPerGb: [] as number[],
    throughputGbps: [] as number[],
  };
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      links.from.push(a);
      links.to.push(b);
      links.costPerGb.push(Math.round((a % 3 === b % 3 ? prices.intra() : prices.inter()) * 1e4) / 1e4);
      links.throughputGbps.push(Math.round(prices.throughput() * 1e3) / 1e3);
    }
  return { regions, links };
}

const published = (rng: Rng): Prices => ({
  intra: () => 0.02 + 0.07 * rng.next(),
  inter: () => 0.08 + 0.1 * rng.next(),
  throughput: () => 0.5 + 9.5 * rng.next(),
});

function workload(
  id: string,
  net: Pick<CloudcastInput, "regions" | "links">,
  destinations: number[],
  probe: Omit<Probe, "size">,
  extra: Partial<CloudcastInput> = {},
): StressWorkload<CloudcastInput> {
  const input: CloudcastInput = {
    ...net,
    source: net.regions[0] as string,
    destinations: destinations.map((d) => net.regions[d] as string),
    dataVolumeGb: 300,
    partitions: 10,
    vmsPerRegion: VMS_PER_REGION,
    instancePricePerHour: INSTANCE_PRICE_PER_HOUR,
    ingressLimitGbps: { aws: 10, gcp: 16, azure: 16 },
    egressLimitGbps: { aws: 5, gcp: 7, azure: 16 },
    ...extra,
  };
  return { id, split: "stress", input, probe: { ...probe, size: net.regions.length } };
}

/** `count` distinct regions other than the source (region 0). */
function pick(rng: Rng, n: number, count: number): number[] {
  return rng.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1)).slice(0, count);
}

export function stressWorkloads(): StressWorkload<CloudcastInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<CloudcastInput>[] = [];
  for (const scale of SCALES) {
    const rng = root.fork(`x${scale}`);
    const n = BASE_REGIONS * scale;
    // Destinations as in train: the task's exact lower bound is exponential in them.
    const d = 6;
    out.push(
      workload(`mesh_x${scale}`, network(n, published(rng)), pick(rng, n, d), {
        kind: "scale",
        family: "mesh",
        what: `${n} fully linked regions, ${d} destinations (${scale}x a 12-region network)`,
      }),
    );
  }
  const rng = root.fork("edge");
  const small = network(BASE_REGIONS, published(rng));
  out.push(workload("one_destination", small, [5], { kind: "edge", what: "a single destination" }));
  out.push(
    workload(
      "one_partition",
      small,
      pick(rng, BASE_REGIONS, 6),
      { kind: "edge", what: "one partition (nothing to split)" },
      { partitions: 1 },
    ),
  );
  out.push(
    workload(
      "many_partitions",
      small,
      pick(rng, BASE_REGIONS, 6),
      { kind: "edge", what: "1,000 partitions" },
      { partitions: 1000 },
    ),
  );
  out.push(
    workload(
      "huge_volume",
      small,
      pick(rng, BASE_REGIONS, 6),
      { kind: "edge", what: "1,000,000 GB to each destination (extreme volume)" },
      { dataVolumeGb: 1_000_000 },
    ),
  );
  const flat = network(BASE_REGIONS, { intra: () => 0.05, inter: () => 0.05, throughput: () => 5 });
  out.push(
    workload("equal_links", flat, pick(rng, BASE_REGIONS, 6), {
      kind: "edge",
      what: "every link the same price and speed (ties)",
    }),
  );
  const shift = root.fork("shift");
  const relay = network(24, {
    intra: () => 0.01 + 0.01 * shift.next(),
    inter: () => 0.5 + 0.5 * shift.next(),
    throughput: () => 0.5 + 9.5 * shift.next(),
  });
  out.push(
    workload("relay_cheap", relay, pick(shift, 24, 8), {
      kind: "shift",
      what: "crossing providers 25-50x dearer than staying (relays pay off)",
    }),
  );
  return out;
}
