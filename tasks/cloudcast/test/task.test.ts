import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import type { CloudcastInput } from "../network.ts";
import * as initial from "../initial.ts";
import task, { PUBLISHED, splitAnchors } from "../task.ts";
import { DATA_DIR_VARIABLE, dataDir, testWorkloads, trainWorkloads } from "../workloads.ts";
import { roundTrip } from "./helpers.ts";

type Paths = Record<string, unknown[]>;

async function intraAws(): Promise<Workload<CloudcastInput>> {
  const w = (await task.workloads("train"))[0];
  assert.ok(w && w.id === "intra_aws");
  return w;
}

/** The initial program's topology for a workload, as plain JSON to tamper with. */
function seedPaths(w: Workload<CloudcastInput>): Paths {
  return (roundTrip(run(initial, w.input)) as { paths: Paths }).paths;
}

function rejects(w: Workload<CloudcastInput>, output: unknown, reason: RegExp): void {
  const result = task.check(w, output);
  assert.equal(result.valid, false, JSON.stringify(output)?.slice(0, 80));
  assert.match(result.error ?? "", reason);
  assert.equal(result.metrics.cost, undefined);
}

test("anchors derived from the train split are the published 1199 / 626.24", async () => {
  const anchors = splitAnchors(await task.workloads("train"));
  assert.ok(Math.abs(anchors.baseline - 1199) < 1e-6, `baseline ${anchors.baseline}`);
  assert.ok(Math.abs(anchors.target - 626.24) < 1e-6, `target ${anchors.target}`);
  assert.deepEqual(task.anchors, { baseline: PUBLISHED.zero, target: PUBLISHED.full });
});

test("check accepts the seed's topology and recomputes its cost", async () => {
  const w = await intraAws();
  const paths = seedPaths(w) as Record<string, [string, string][][]>;
  const result = task.check(w, { paths });
  assert.equal(result.valid, true, result.error);
  const m = result.metrics as Record<string, number>;

  // Derived here from the input's price table, not by the simulator: each link is billed once
  // for every partition it carries, whatever the number of destinations behind it.
  const { regions, links, dataVolumeGb, partitions } = w.input;
  const price = new Map<string, number>();
  links.from.forEach((from, i) => {
    price.set(`${regions[from]}>${regions[links.to[i] as number]}`, links.costPerGb[i] as number);
  });
  const carried = new Map<string, Set<number>>();
  const used = new Set<string>();
  for (const perPartition of Object.values(paths)) {
    perPartition.forEach((path, p) => {
      for (const [from, to] of path) {
        const link = `${from}>${to}`;
        carried.set(link, (carried.get(link) ?? new Set()).add(p));
        used.add(from).add(to);
      }
    });
  }
  let egress = 0;
  for (const [link, parts] of carried)
    egress += parts.size * (dataVolumeGb / partitions) * (price.get(link) ?? NaN);
  assert.ok(Math.abs((m.egress_cost ?? NaN) - egress) < 1e-9, `egress ${m.egress_cost}, derived ${egress}`);
  assert.equal(m.regions, used.size);
  // Every region used rents its VMs for the transfer time, billed to 1/100 s.
  const billed = Math.round((m.transfer_time ?? NaN) * 100) / 100;
  const instances = used.size * w.input.vmsPerRegion * (w.input.instancePricePerHour / 3600) * billed;
  assert.ok(Math.abs((m.cost ?? NaN) - (egress + instances)) < 1e-9, `cost ${m.cost}`);
  // The published evaluator, re-run on this plan for intra_aws, gives $165.0 (to 0.1).
  assert.ok(Math.abs((m.cost ?? NaN) - 165.0) < 0.05, `cost ${m.cost}`);
  assert.equal(m.direct_cost, m.cost);
});

// Each reward-hack route the published evaluator leaves open, closed one by one.

test("route: a path that does not start at the source", async () => {
  const w = await intraAws();
  const paths = seedPaths(w);
  const dst = w.input.destinations[0] as string;
  // Pretend the data is already at a relay next to the destination.
  paths[dst] = Array.from({ length: 10 }, () => [["aws:us-east-1", dst]]);
  rejects(
    w,
    { paths },
    new RegExp(
      `${dst}, partition 0, link 0: the path starts at aws:us-east-1, not at the source aws:ap-northeast-1`,
    ),
  );
});

test("route: a path that does not reach its destination", async () => {
  const w = await intraAws();
  const paths = seedPaths(w);
  const dst = w.input.destinations[1] as string;
  // A cheap hop toward somewhere else, claimed as delivery.
  paths[dst] = Array.from({ length: 10 }, () => [["aws:ap-northeast-1", "aws:ap-northeast-2"]]);
  rejects(
    w,
    { paths },
    new RegExp(`${dst}, partition 0: the path ends at aws:ap-northeast-2, not at ${dst}`),
  );
  // Nothing at all is not a delivery either.
  paths[dst] = Array.from({ length: 10 }, () => []);
  rejects(w, { paths }, new RegExp(`${dst}, partition 0: the path is empty`));
});

test("route: links that do not exist", async () => {
  const w = await intraAws();
  const src = w.input.source;
  const dst = w.input.destinations[0] as string;
  const withPath = (path: unknown[]) => {
    const paths = seedPaths(w);
    paths[dst] = Array.from({ length: 10 }, () => path);
    return { paths };
  };
  rejects(w, withPath([[src, "aws:moon-1"]]), /link 0: "aws:moon-1" is not a region/);
  rejects(
    w,
    withPath([
      [src, src],
      [src, dst],
    ]),
    /link 0: there is no link aws:ap-northeast-1 → aws:ap-northeast-1/,
  );
});

test("route: links that do not chain (teleporting between regions)", async () => {
  const w = await intraAws();
  const src = w.input.source;
  const dst = w.input.destinations[0] as string;
  const paths = seedPaths(w);
  paths[dst] = Array.from({ length: 10 }, () => [
    [src, "aws:ap-northeast-2"],
    ["aws:us-east-1", dst],
  ]);
  rejects(w, { paths }, /partition 0, link 1: aws:us-east-1 → .* does not continue from aws:ap-northeast-2/);
});

test("route: destinations or partitions left out, or extra ones added", async () => {
  const w = await intraAws();
  const [d0, d1] = w.input.destinations as [string, string];
  const missingDst = seedPaths(w);
  delete missingDst[d1];
  rejects(w, { paths: missingDst }, new RegExp(`no paths for destination ${d1}`));
  const fewer = seedPaths(w);
  fewer[d0] = (fewer[d0] as unknown[]).slice(0, 3);
  rejects(w, { paths: fewer }, new RegExp(`${d0}: expected 10 paths \\(one per partition 0..9\\), got 3`));
  const more = seedPaths(w);
  more[d0] = [...(more[d0] as unknown[]), (more[d0] as unknown[])[0]];
  rejects(w, { paths: more }, /expected 10 paths .* got 11/);
  const holes = seedPaths(w);
  (holes[d0] as unknown[])[4] = null;
  rejects(
    w,
    { paths: holes },
    new RegExp(`${d0}, partition 4: the path must be an array of links, got null`),
  );
  const extra = { ...seedPaths(w), "aws:eu-west-1": [] };
  rejects(w, { paths: extra }, /paths for "aws:eu-west-1", which is not a destination/);
});

test("route: link data claimed by the program (price, throughput) is not accepted", async () => {
  const w = await intraAws();
  const paths = seedPaths(w);
  const dst = w.input.destinations[0] as string;
  paths[dst] = Array.from({ length: 10 }, () => [[w.input.source, dst, { cost: 0, throughput: 1000 }]]);
  rejects(w, { paths }, /link 0: a link must be \[from, to\] \(two region names\), got an array of 3/);
});

test("route: totals claimed by the program are ignored", async () => {
  const workloads = await task.workloads("train");
  const results: WorkloadResult[] = workloads.map((w) => {
    const check = task.check(w, { paths: seedPaths(w), cost: 0, transferTime: 0, score: 100 });
    return { workload: w.id, ...check };
  });
  const { score, metrics } = task.aggregate("train", results, workloads);
  assert.ok(Math.abs((metrics.cost as number) - 1045.86) < 0.005);
  assert.ok(Math.abs(score - 26.7) < 0.1, `score ${score}`);
});

test("route: a path that loops through a region twice", async () => {
  const w = await intraAws();
  const src = w.input.source;
  const dst = w.input.destinations[0] as string;
  const paths = seedPaths(w);
  paths[dst] = Array.from({ length: 10 }, () => [
    [src, "aws:ap-northeast-2"],
    ["aws:ap-northeast-2", src],
    [src, dst],
  ]);
  rejects(w, { paths }, /link 1: the path visits aws:ap-northeast-1 twice/);
});

test("route: a program that tampers with its own copy of the network changes nothing", async () => {
  const w = await intraAws();
  const honest = task.check(w, { paths: seedPaths(w) });
  let claimed = Number.NaN;
  const tampering = {
    broadcast(problem: Record<string, unknown>) {
      const topology = initial.broadcast(problem as never);
      // Zero every price and make every link fast, in the program's view of the world.
      const net = problem.net as { cost: Float64Array; throughput: Float64Array };
      net.cost.fill(0);
      net.throughput.fill(1e6);
      claimed = (problem as unknown as import("../api.ts").Problem).evaluate(topology).egressCost;
      return topology;
    },
  };
  const output = roundTrip(run(tampering, roundTrip(w.input)));
  assert.equal(claimed, 0, "the program sees free egress");
  assert.deepEqual(task.check(w, output), honest);
});

test("malformed outputs are invalid, with a reason", async () => {
  const w = await intraAws();
  const dst = w.input.destinations[0] as string;
  const withLink = (link: unknown) => {
    const paths = seedPaths(w);
    paths[dst] = Array.from({ length: 10 }, () => [link]);
    return { paths };
  };
  const cases: [unknown, RegExp][] = [
    [null, /output must be an object \{ paths \}, got null/],
    [[1, 2], /output must be an object \{ paths \}, got an array of 2/],
    [{}, /returned no topology/],
    [{ paths: null }, /returned no topology/],
    [
      { paths: "all of them" },
      /the topology must be an object mapping each destination to its paths, got "all of them"/,
    ],
    [{ paths: [] }, /the topology must be an object/],
    [
      { paths: { ...seedPaths(w), [dst]: "direct" } },
      /the paths must be an array \(one path per partition\), got "direct"/,
    ],
    [withLink("aws:ap-northeast-1>x"), /a link must be \[from, to\]/],
    [withLink([w.input.source]), /a link must be \[from, to\]/],
    [withLink([0, 1]), /a link must be \[from, to\] \(two region names\), got an array of 2/],
    [withLink({ from: w.input.source, to: dst }), /got an object/],
  ];
  for (const [output, reason] of cases) rejects(w, output, reason);
  const long = seedPaths(w);
  long[dst] = Array.from({ length: 10 }, () => Array.from({ length: 200 }, () => [w.input.source, dst]));
  rejects(w, { paths: long }, /the path has 200 links, more than any path can/);
});

test("a path may relay through another destination", async () => {
  const w = await intraAws();
  const [d0, d1] = w.input.destinations as [string, string];
  const paths = seedPaths(w);
  paths[d1] = Array.from({ length: 10 }, () => [
    [w.input.source, d0],
    [d0, d1],
  ]);
  const result = task.check(w, { paths });
  assert.equal(result.valid, true, result.error);
});

test("aggregate: totals and per-workload costs; 0 if any workload is invalid or missing", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, cost: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { cost, egress_cost: cost - 1, instance_cost: 1, transfer_time: 100, regions: 7 },
  });
  const all = workloads.map((w) => ok(w.id, 130));
  const good = task.aggregate("train", all, workloads);
  assert.deepEqual(Object.keys(good.metrics).slice(0, 5), [
    "cost",
    "egress_cost",
    "instance_cost",
    "transfer_time",
    "cost.intra_aws",
  ]);
  assert.equal(good.metrics.cost, 650);
  assert.equal(good.metrics.instance_cost, 5);
  assert.equal(good.metrics.transfer_time, 500);
  assert.ok(Math.abs(good.score - ((1199 - 650) / (1199 - 626.24)) * 100) < 1e-6);
  const broken = [...all.slice(0, 4), { workload: "inter_gaz2", valid: false, metrics: {}, error: "x" }];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", all.slice(0, 4), workloads).score, 0);
  // Past either anchor the score stays within 0–100.
  assert.equal(
    task.aggregate(
      "train",
      workloads.map((w) => ok(w.id, 100)),
      workloads,
    ).score,
    100,
  );
  assert.equal(
    task.aggregate(
      "train",
      workloads.map((w) => ok(w.id, 300)),
      workloads,
    ).score,
    0,
  );
});

test("feedback lists invalid workloads, then the costliest relative to cheapest paths first", () => {
  const text = task.feedback?.(
    [
      {
        workload: "a",
        valid: true,
        metrics: {
          cost: 60,
          egress_cost: 59,
          instance_cost: 1,
          transfer_time: 480,
          regions: 7,
          direct_cost: 165,
          bottleneck_gbps: 5,
          bottleneck_partitions: 10,
        },
      },
      {
        workload: "b",
        valid: true,
        metrics: {
          cost: 150,
          egress_cost: 148,
          instance_cost: 2,
          transfer_time: 900,
          regions: 8,
          direct_cost: 160,
          bottleneck_gbps: 2.5,
          bottleneck_partitions: 10,
        },
      },
      { workload: "c", valid: false, metrics: {}, error: "no paths for destination aws:x" },
    ],
    [],
  );
  assert.ok(text);
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^c: invalid: no paths for destination aws:x/);
  assert.match(
    lines[2] ?? "",
    /^ {2}b: \$150\.00 = egress \$148\.00 \+ VMs \$2\.00 \(8 regions for 900 s\); cheapest paths \$160\.00 \(94%\); slowest link carries 10 partitions at 2\.50 Gbit\/s/,
  );
  assert.match(lines[3] ?? "", /^ {2}a: \$60\.00 .*\(36%\)/);
  assert.equal(lines.length, 4);
});

test("the test split: deterministic, same kinds as train, other regions, re-measured throughput", async () => {
  const a = testWorkloads();
  const b = await task.workloads("test");
  assert.deepEqual(a, b);
  assert.deepEqual(
    a.map((w) => w.id),
    [
      "aws_1",
      "aws_2",
      "azure_1",
      "azure_2",
      "gcp_1",
      "gcp_2",
      "mixed6_1",
      "mixed6_2",
      "mixed7_1",
      "mixed7_2",
    ],
  );
  const train = trainWorkloads();
  const trainKeys = new Set(train.map((w) => `${w.input.source} ${w.input.destinations.join(" ")}`));
  const trainTput = train[0]?.input.links.throughputGbps as number[];
  for (const w of a) {
    assert.equal(w.split, "test");
    assert.ok(!trainKeys.has(`${w.input.source} ${w.input.destinations.join(" ")}`), w.id);
    const providers = new Set([w.input.source, ...w.input.destinations].map((r) => r.split(":")[0]));
    const kind = w.id.split("_")[0] as string;
    if (kind.startsWith("mixed")) {
      assert.equal(providers.size, 3, w.id);
      assert.equal(w.input.destinations.length, kind === "mixed7" ? 7 : 6);
    } else {
      assert.deepEqual([...providers], [kind], w.id);
      assert.equal(w.input.destinations.length, 6);
    }
    // Same links and prices, other throughputs.
    assert.deepEqual(w.input.links.costPerGb, train[0]?.input.links.costPerGb);
    const ratios = w.input.links.throughputGbps.map((t, i) => t / (trainTput[i] as number));
    assert.ok(ratios.some((r) => Math.abs(r - 1) > 0.1));
    assert.ok(ratios.every((r) => r > 0.3 && r < 3));
  }
  assert.notDeepEqual(a[0]?.input.links.throughputGbps, a[1]?.input.links.throughputGbps);
});

test("the train split is the five published configurations over the 71-region profiles", () => {
  const train = trainWorkloads();
  assert.deepEqual(
    train.map((w) => w.id),
    ["intra_aws", "intra_azure", "intra_gcp", "inter_agz", "inter_gaz2"],
  );
  const w = train[0]?.input as CloudcastInput;
  assert.equal(w.regions.length, 71);
  assert.equal(w.links.from.length, 71 * 70);
  assert.equal(w.source, "aws:ap-northeast-1");
  assert.deepEqual(
    train.map((x) => x.input.destinations.length),
    [6, 6, 6, 6, 7],
  );
  assert.deepEqual(
    [w.dataVolumeGb, w.partitions, w.vmsPerRegion, w.instancePricePerHour],
    [300, 10, 2, 0.54],
  );
  assert.deepEqual(w.egressLimitGbps, { aws: 5, gcp: 7, azure: 16 });
});

test("missing data names the path and the variable that moves it", () => {
  const dir = mkdtempSync(join(tmpdir(), "cloudcast-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    assert.equal(dataDir(), join(dir, "cloudcast"));
    assert.throws(
      () => trainWorkloads(),
      (e: Error) =>
        e.message.includes(join(dir, "cloudcast", "cost.csv")) && e.message.includes("ADRS_DATA_DIR"),
    );
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
