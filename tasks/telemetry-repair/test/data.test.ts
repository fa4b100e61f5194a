import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import { checkCoverage, parseEvaluationCsv, parseTopology } from "../abilene.ts";
import { BUGS, perturb, routersOf } from "../perturb.ts";
import { DATA_DIR_VARIABLE, scenarios, snapshots, TEST_TIMESTAMPS } from "../workloads.ts";

const cell = (gt: number) =>
  `"{'ground_truth': ${gt}, 'perturbed': ${gt}, 'corrected': None, 'confidence': None}"`;

test("the Abilene data: 40 timestamps, 30 interfaces on 15 links, all up, link symmetry within 4 %", () => {
  const rows = snapshots();
  assert.equal(rows.length, 40);
  for (const s of rows) {
    const ids = Object.keys(s.truth);
    assert.equal(ids.length, 30);
    for (const id of ids) {
      const t = s.truth[id];
      assert.ok(t);
      assert.equal(t.interface_status, "up");
      const [a, b] = routersOf(id);
      const peer = s.truth[`${b}_to_${a}`];
      assert.ok(peer, `${id} has a peer`);
      // A's transmit towards B and B's receive from A measure the same traffic.
      const scale = Math.max(t.tx_rate, peer.rx_rate);
      assert.ok(scale === 0 || Math.abs(t.tx_rate - peer.rx_rate) / scale < 0.04, `${s.timestamp} ${id}`);
    }
  }
  assert.equal(rows[0]?.truth.ATLAM5_to_ATLAng?.tx_rate, 12.748);
  assert.equal(rows[0]?.truth.ATLAM5_to_ATLAng?.rx_rate, 12.477);
});

test("CSV and topology errors name the file, the line and the column", () => {
  const header = ",timestamp,low_A_egress_to_B,low_A_ingress_from_B,low_B_egress_to_A,low_B_ingress_from_A";
  const ok = `${header}\n0,t0,${cell(1)},${cell(2)},${cell(3)},${cell(4)}\n`;
  const [s] = parseEvaluationCsv(ok, "d.csv");
  assert.deepEqual(s?.truth.A_to_B, { interface_status: "up", tx_rate: 1, rx_rate: 2 });
  assert.throws(
    () => parseEvaluationCsv(`${header}\n0,t0,${cell(1)},${cell(2)}\n`, "d.csv"),
    /d\.csv: line 2 has 4 fields/,
  );
  assert.throws(
    () => parseEvaluationCsv(`${header}\n0,t0,${cell(1)},"{'x': 1}",${cell(3)},${cell(4)}\n`, "d.csv"),
    /d\.csv: line 2, column low_A_ingress_from_B: no non-negative ground_truth/,
  );
  assert.throws(
    () => parseEvaluationCsv(`${header}\n0,t0,"open\n`, "d.csv"),
    /d\.csv: line 2: a quoted field is never closed/,
  );
  assert.throws(() => parseTopology({ nodes: [] }, "t.json"), /t\.json: expected \{ nodes/);
  assert.throws(
    () => parseTopology({ nodes: [{ id: 0, name: "A" }], links: [{ source: 0, target: 9 }] }, "t.json"),
    /t\.json: links\[0\] names an unknown node/,
  );
  const topo = parseTopology(
    {
      nodes: [
        { id: 0, name: "A" },
        { id: 1, name: "B" },
        { id: 2, name: "C" },
      ],
      links: [{ source: 1, target: 2 }],
    },
    "t.json",
  );
  assert.throws(
    () => checkCoverage(s as NonNullable<typeof s>, topo.links, "d.csv"),
    /interface A_to_B is not on a link/,
  );
});

test("a missing data file names the path and the variable that moves it", () => {
  const dir = mkdtempSync(join(tmpdir(), "telemetry-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    assert.throws(
      () => snapshots(),
      (e: Error) =>
        e.message.includes(join(dir, "telemetry-repair", "evaluation_data.csv")) &&
        e.message.includes("ADRS_DATA_DIR"),
    );
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("perturbations: ±2 % noise everywhere, then the bug's damage; statuses stay up; deterministic", () => {
  const truth = snapshots()[3]?.truth;
  assert.ok(truth);
  let zeroed = 0;
  let scaled = 0;
  let interfaces = 0;
  for (let seed = 0; seed < 200; seed++) {
    for (const bug of BUGS) {
      const { telemetry, topology } = perturb(truth, bug, new Rng(seed).fork(bug));
      assert.deepEqual(Object.keys(telemetry).sort(), Object.keys(truth).sort());
      // Every router lists its interfaces, and each reading points at its peer.
      for (const [router, ids] of Object.entries(topology)) {
        for (const id of ids) assert.equal(telemetry[id]?.local_router, router);
      }
      for (const [id, r] of Object.entries(telemetry)) {
        const t = truth[id] as NonNullable<(typeof truth)[string]>;
        assert.equal(r.interface_status, "up");
        assert.equal(r.connected_to, `${r.remote_router}_to_${r.local_router}`);
        for (const f of ["rx_rate", "tx_rate"] as const) {
          if (t[f] === 0) continue;
          const ratio = r[f] / t[f];
          const noise = Math.abs(ratio - 1) <= 0.02 + 1e-9;
          const scaledBy =
            (ratio >= 0.5 * 0.98 && ratio <= 0.8 * 1.02) || (ratio >= 1.2 * 0.98 && ratio <= 1.5 * 1.02);
          if (bug === "dropped" || bug === "correlated_dropped")
            assert.ok(noise || ratio === 0, `${bug} ${id} ${ratio}`);
          else assert.ok(noise || scaledBy, `${bug} ${id} ${ratio}`);
        }
        if (bug === "dropped") {
          interfaces++;
          if (r.rx_rate === 0 && r.tx_rate === 0) zeroed++;
          else assert.ok(r.rx_rate > 0 || t.rx_rate === 0);
        }
        if (bug === "scaled" && t.rx_rate > 0 && Math.abs(r.rx_rate / t.rx_rate - 1) > 0.03) scaled++;
      }
      if (bug === "correlated_dropped") {
        // Whole routers go dark, never half of one.
        for (const ids of Object.values(topology)) {
          const dark = ids.filter(
            (id) => telemetry[id]?.rx_rate === 0 && telemetry[id]?.tx_rate === 0,
          ).length;
          assert.ok(dark === 0 || dark === ids.length || ids.some((id) => truth[id]?.rx_rate === 0));
        }
      }
    }
  }
  // About 20 % of interfaces are hit.
  assert.ok(Math.abs(zeroed / interfaces - 0.2) < 0.02, `dropped share ${zeroed / interfaces}`);
  assert.ok(Math.abs(scaled / interfaces - 0.2) < 0.03, `scaled share ${scaled / interfaces}`);
  assert.deepEqual(perturb(truth, "scaled", new Rng(1)), perturb(truth, "scaled", new Rng(1)));
});

test("splits: 30 timestamps × 4 bugs to train on, 10 × 4 held out, deterministic and disjoint", () => {
  const train = scenarios("train");
  const test = scenarios("test");
  assert.equal(train.length, 120);
  assert.equal(test.length, TEST_TIMESTAMPS * 4);
  const trainTimes = new Set(train.map((s) => s.timestamp));
  assert.equal(trainTimes.size, 30);
  assert.ok(test.every((s) => !trainTimes.has(s.timestamp)));
  for (const bug of BUGS) assert.equal(train.filter((s) => s.bug === bug).length, 30);
  assert.match(
    train[0]?.workload.id ?? "",
    /^\d{4}-\d{2}-\d{2}T\d{4}-(dropped|scaled|correlated_dropped|correlated_scaled)$/,
  );
  // The program's input holds the readings and the topology, nothing of the truth.
  for (const s of [...train, ...test]) {
    assert.deepEqual(Object.keys(s.workload.input).sort(), ["telemetry", "topology"]);
    for (const r of Object.values(s.workload.input.telemetry)) {
      assert.deepEqual(Object.keys(r).sort(), [
        "connected_to",
        "interface_status",
        "local_router",
        "remote_router",
        "rx_rate",
        "tx_rate",
      ]);
    }
  }
  assert.equal(scenarios("train"), train);
});
