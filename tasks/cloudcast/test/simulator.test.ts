import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import { type CloudcastInput, Network } from "../network.ts";
import { parseTopology, type Routes, simulate } from "../simulator.ts";
import { cheapestPathPlan, egressLowerBound } from "../trusted/anchors.ts";
import { testWorkloads, trainWorkloads } from "../workloads.ts";
import { tinyInput } from "./helpers.ts";

type Topology = Record<string, [string, string][][]>;

/**
 * The cost model as spec.md states it, kept deliberately literal: string
 * keys, a graph rebuilt from the topology text, nothing precomputed. The
 * simulator keeps index arrays instead; this checks they agree.
 */
function literalCost(input: CloudcastInput, topology: Topology) {
  const price = new Map<string, number>();
  const tput = new Map<string, number>();
  input.links.from.forEach((u, e) => {
    const key = `${input.regions[u]}>${input.regions[input.links.to[e] as number]}`;
    price.set(key, input.links.costPerGb[e] as number);
    tput.set(key, input.links.throughputGbps[e] as number);
  });
  const partGb = input.dataVolumeGb / input.partitions;
  const parts = new Map<string, Set<number>>();
  const regions: string[] = [];
  for (const d of input.destinations) {
    topology[d]?.forEach((path, p) => {
      for (const [u, v] of path) {
        const key = `${u}>${v}`;
        if (!parts.has(key)) {
          parts.set(key, new Set());
          for (const r of [u, v]) if (!regions.includes(r)) regions.push(r);
        }
        parts.get(key)?.add(p);
      }
    });
  }
  const rate = new Map([...parts.keys()].map((k) => [k, tput.get(k) as number]));
  const provider = (r: string) => r.split(":")[0] as "aws" | "gcp" | "azure";
  for (const r of regions) {
    const ins = [...rate.keys()].filter((k) => k.endsWith(`>${r}`));
    const outs = [...rate.keys()].filter((k) => k.startsWith(`${r}>`));
    const inLimit = input.ingressLimitGbps[provider(r)] * input.vmsPerRegion;
    const outLimit = input.egressLimitGbps[provider(r)] * input.vmsPerRegion;
    const inSum = ins.reduce((a, k) => a + (rate.get(k) as number), 0);
    const outSum = outs.reduce((a, k) => a + (rate.get(k) as number), 0);
    if (inSum > inLimit)
      for (const k of ins) rate.set(k, Math.min(rate.get(k) as number, inLimit / ins.length));
    if (outSum > outLimit)
      for (const k of outs) rate.set(k, Math.min(rate.get(k) as number, outLimit / outs.length));
  }
  let egress = 0;
  for (const [k, s] of parts) egress += s.size * partGb * (price.get(k) as number);
  const times = input.destinations.map((d) => {
    let t = 0;
    for (const path of topology[d] ?? []) {
      for (const [u, v] of path) {
        const k = `${u}>${v}`;
        t = Math.max(t, ((parts.get(k) as Set<number>).size * partGb * 8) / (rate.get(k) as number));
      }
    }
    return t;
  });
  const T = Math.max(...times);
  const instance =
    regions.length * input.vmsPerRegion * (input.instancePricePerHour / 3600) * (Math.round(T * 100) / 100);
  return { egress, instance, cost: egress + instance, T, times };
}

/** Random valid topologies: each path wanders through up to three relays drawn from a small pool, so links are shared. */
function randomTopology(input: CloudcastInput, rng: Rng): Topology {
  const others = input.regions.filter((r) => r !== input.source && !input.destinations.includes(r));
  const pool = rng.shuffle([...others]).slice(0, 4);
  const topology: Topology = {};
  for (const d of input.destinations) {
    topology[d] = Array.from({ length: input.partitions }, () => {
      const relays = rng
        .shuffle([...pool, ...input.destinations.filter((x) => x !== d)])
        .slice(0, rng.int(4));
      const route = [input.source, ...relays, d];
      return route.slice(1).map((v, i): [string, string] => [route[i] as string, v]);
    });
  }
  return topology;
}

function outcomeOf(input: CloudcastInput, topology: Topology) {
  const net = new Network(input);
  const parsed = parseTopology(net, topology);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  return simulate(net, parsed.routes);
}

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test("the cheapest-path plans cost the published 165.0 / 144.9 / 161.5 / 268.9 / 305.6, 1045.86 in all", () => {
  const costs = trainWorkloads().map((w) => cheapestPathPlan(new Network(w.input)).cost);
  [165.0, 144.9, 161.5, 268.9, 305.6].forEach((published, i) => {
    assert.ok(Math.abs((costs[i] as number) - published) <= 0.05, `config ${i}: ${costs[i]} vs ${published}`);
  });
  const total = costs.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1045.86) < 0.005, `total ${total}`);
});

test("a hand-worked broadcast: shared partitions, egress caps, time and VM cost", () => {
  const input = tinyInput(["aws:a", "aws:b", "gcp:c", "azure:d"], {
    "aws:a>aws:b": [0.02, 8],
    "aws:a>gcp:c": [0.12, 4],
    "aws:b>gcp:c": [0.09, 6],
    "aws:a>azure:d": [0.1, 1],
  });
  // Partition 0 reaches c through b, so a→b carries partitions 0 and 1 once each.
  const topology: Topology = {
    "aws:b": [[["aws:a", "aws:b"]], [["aws:a", "aws:b"]]],
    "gcp:c": [
      [
        ["aws:a", "aws:b"],
        ["aws:b", "gcp:c"],
      ],
      [["aws:a", "gcp:c"]],
    ],
  };
  const o = outcomeOf(input, topology);
  // a sends 8 + 4 > 5 Gbit/s: both out-links capped at 2.5; b sends 6 > 5: capped at 5.
  // a→b: 2 partitions × 10 GB × 8 / 2.5 = 64 s; b→c 16 s; a→c 32 s.
  assert.deepEqual(Array.from(o.destinationTimes), [64, 64]);
  assert.equal(o.transferTime, 64);
  close(o.egressCost, 2 * 10 * 0.02 + 10 * 0.09 + 10 * 0.12, "egress");
  close(o.instanceCost, 3 * 1 * (0.54 / 3600) * 64, "instances");
  assert.equal(o.regions, 3);
  assert.equal(o.links, 3);
  assert.deepEqual(o.bottleneck, { destination: 0, from: 0, to: 1, flowGbps: 2.5, partitions: 2 });
});

test("ingress caps split the limit evenly over the incoming links", () => {
  const input = tinyInput(
    ["gcp:s", "gcp:x", "gcp:t"],
    { "gcp:s>gcp:x": [0.01, 10], "gcp:x>gcp:t": [0.01, 10], "gcp:s>gcp:t": [0.01, 10] },
    { destinations: ["gcp:x", "gcp:t"], egressLimitGbps: { aws: 5, gcp: 100, azure: 16 } },
  );
  const topology: Topology = {
    "gcp:x": [[["gcp:s", "gcp:x"]], [["gcp:s", "gcp:x"]]],
    "gcp:t": [
      [
        ["gcp:s", "gcp:x"],
        ["gcp:x", "gcp:t"],
      ],
      [["gcp:s", "gcp:t"]],
    ],
  };
  // t receives 10 + 10 > 16: each in-link gets min(10, 8); s→x keeps 10.
  const o = outcomeOf(input, topology);
  assert.deepEqual(Array.from(o.destinationTimes), [16, 16]);
  assert.equal(o.bottleneck.flowGbps, 10);
  assert.equal(o.transferTime, 16);
});

test("regions are capped in order of first appearance in the topology, not in index order", () => {
  const input = tinyInput(
    ["azure:s", "gcp:z", "gcp:x", "azure:w"],
    {
      "azure:s>gcp:x": [0.05, 5],
      "azure:s>gcp:z": [0.02, 10],
      "gcp:z>gcp:x": [0.01, 20],
      "gcp:x>azure:w": [0.03, 10],
    },
    { destinations: ["gcp:x", "azure:w"], egressLimitGbps: { aws: 5, gcp: 10, azure: 16 } },
  );
  const topology: Topology = {
    "gcp:x": [
      [["azure:s", "gcp:x"]],
      [
        ["azure:s", "gcp:z"],
        ["gcp:z", "gcp:x"],
      ],
    ],
    "azure:w": Array.from({ length: 2 }, () => [
      ["azure:s", "gcp:z"],
      ["gcp:z", "gcp:x"],
      ["gcp:x", "azure:w"],
    ]),
  };
  // Order s, x, z, w: at x the incoming 5 + 20 exceed 16, so z→x drops to 8 before z's
  // own egress cap (10) is looked at; visiting z first would have left z→x at 10.
  const o = outcomeOf(input, topology);
  assert.deepEqual(Array.from(o.destinationTimes), [20, 20]);
  assert.deepEqual(o.bottleneck, { destination: 0, from: 1, to: 2, flowGbps: 8, partitions: 2 });
  close(o.egressCost, 10 * 0.05 + 2 * 10 * 0.02 + 2 * 10 * 0.01 + 2 * 10 * 0.03, "egress");
  close(o.instanceCost, 4 * (0.54 / 3600) * 20, "instances");
  assert.equal(literalCost(input, topology).T, 20);
});

test("the simulator agrees with a literal reading of the model on random topologies", () => {
  const rng = new Rng(5);
  const workloads = [...trainWorkloads(), ...testWorkloads().slice(0, 4)];
  for (const w of workloads) {
    for (let round = 0; round < 8; round++) {
      const topology = randomTopology(w.input, rng);
      const o = outcomeOf(w.input, topology);
      const lit = literalCost(w.input, topology);
      close(o.egressCost, lit.egress, `${w.id} round ${round} egress`);
      close(o.transferTime, lit.T, `${w.id} round ${round} time`);
      close(o.instanceCost, lit.instance, `${w.id} round ${round} instances`);
      close(o.cost, lit.cost, `${w.id} round ${round} cost`);
      lit.times.forEach((t, i) => {
        close(o.destinationTimes[i] as number, t, `${w.id} destination ${i}`);
      });
    }
  }
});

/** Every arborescence over a tiny network, by enumerating parent choices. */
function bruteForceTree(input: CloudcastInput): number {
  const net = new Network(input);
  const n = net.n;
  let best = Number.POSITIVE_INFINITY;
  const parent = new Int32Array(n);
  const visit = (v: number) => {
    if (v === n) {
      // Walk up from each destination; a valid tree reaches the source without a cycle.
      const used = new Set<number>();
      for (const d of net.destinations) {
        const seen = new Set<number>();
        for (let x = d; x !== net.source; x = parent[x] as number) {
          if (parent[x] === -1 || seen.has(x)) return;
          seen.add(x);
          used.add(x);
        }
      }
      let cost = 0;
      for (const x of used) cost += net.cost[(parent[x] as number) * n + x] as number;
      best = Math.min(best, cost);
      return;
    }
    for (let p = -1; p < n; p++) {
      if (v === net.source && p !== -1) continue;
      if (p === v || (p >= 0 && !net.hasLink(p, v))) continue;
      parent[v] = p;
      visit(v + 1);
    }
  };
  visit(0);
  return best * input.dataVolumeGb;
}

test("the egress lower bound is the cheapest arborescence, and no topology pays less egress", () => {
  const rng = new Rng(9);
  const names = ["aws:s", "aws:a", "gcp:b", "azure:c", "aws:r", "gcp:q"];
  for (let round = 0; round < 20; round++) {
    const links: Record<string, [number, number]> = {};
    for (const u of names)
      for (const v of names) if (u !== v) links[`${u}>${v}`] = [0.01 * (1 + rng.int(12)), 5];
    const input = tinyInput(names, links, { destinations: ["aws:a", "gcp:b", "azure:c"] });
    const bound = egressLowerBound(new Network(input));
    close(bound, bruteForceTree(input), `round ${round}`);
  }
  const rngTopologies = new Rng(3);
  for (const w of trainWorkloads()) {
    const net = new Network(w.input);
    const bound = egressLowerBound(net);
    assert.ok(bound <= cheapestPathPlan(net).egressCost);
    for (let i = 0; i < 10; i++) {
      const parsed = parseTopology(net, randomTopology(w.input, rngTopologies));
      assert.ok(parsed.ok);
      assert.ok(simulate(net, parsed.routes as Routes).egressCost >= bound - 1e-9);
    }
  }
});

test("on the train split the egress lower bound totals $618, which the 100 anchor scales to 626.24", () => {
  const bounds = trainWorkloads().map((w) => egressLowerBound(new Network(w.input)));
  close(
    bounds.reduce((a, b) => a + b, 0),
    618,
    "bound",
  );
});

test("the network rejects malformed inputs, naming the problem", () => {
  const base = tinyInput(["aws:a", "aws:b", "gcp:c"], { "aws:a>aws:b": [0.02, 8], "aws:a>gcp:c": [0.1, 3] });
  assert.throws(
    () => new Network({ ...base, regions: ["aws:a", "aws:a", "gcp:c"] }),
    /"aws:a" is listed twice/,
  );
  assert.throws(
    () => new Network({ ...base, regions: ["aws:a", "oracle:b", "gcp:c"] }),
    /does not start with a provider/,
  );
  assert.throws(() => new Network({ ...base, source: "aws:zz" }), /source "aws:zz" is not a region/);
  assert.throws(
    () => new Network({ ...base, destinations: ["aws:a", "aws:b"] }),
    /source is also a destination/,
  );
  assert.throws(() => new Network({ ...base, partitions: 0 }), /partitions must be a positive integer/);
  const badCost = { ...base.links, costPerGb: [-1, 0.1] };
  assert.throws(() => new Network({ ...base, links: badCost }), /link 0: cost -1/);
});
