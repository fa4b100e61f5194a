/**
 * The stress split (`adrs audit`, docs/audit.md): synthetic backbones (a ring
 * with chords, traffic routed on shortest paths) of 1 to 16 times Abilene's
 * 11 routers, edge cases (an idle network, one link, links down, one link a
 * million times busier) and a shift to far more dropped counters than any
 * train bug. Seeded; the truth stays here, as for train.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { type Bug, perturb } from "./perturb.ts";
import type { TelemetryInput, Truth } from "./telemetry.ts";
import { registerScenario } from "./workloads.ts";

const STRESS_SEED = 0x7e1e_57e5;
const ABILENE_ROUTERS = 11;
export const SCALES = [1, 2, 4, 8, 16] as const;

/** A ring of `n` routers with `n / 2` random chords; link loads from random demands on shortest paths. */
export function backbone(rng: Rng, n: number, demandsPerRouter = 4): Truth {
  const name = (i: number) => `R${i}`;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set());
  const link = (a: number, b: number) => {
    if (a === b) return;
    adj[a]?.add(b);
    adj[b]?.add(a);
  };
  for (let i = 0; i < n; i++) link(i, (i + 1) % n);
  for (let c = 0; c < Math.floor(n / 2); c++) link(rng.int(n), rng.int(n));
  const load = new Map<string, number>();
  for (let s = 0; s < n; s++) {
    const parent = shortestPaths(adj, s);
    for (let k = 0; k < demandsPerRouter; k++) {
      const d = rng.int(n);
      const mbps = Math.exp(4 + 1.5 * rng.normal());
      for (let v = d; v !== s && parent[v] !== undefined && parent[v] !== -1; v = parent[v] as number) {
        const key = `${name(parent[v] as number)}_to_${name(v)}`;
        load.set(key, (load.get(key) ?? 0) + mbps);
      }
    }
  }
  const truth: Truth = {};
  adj.forEach((peers, a) => {
    for (const b of peers) {
      const out = `${name(a)}_to_${name(b)}`;
      const back = `${name(b)}_to_${name(a)}`;
      truth[out] = { interface_status: "up", tx_rate: load.get(out) ?? 0, rx_rate: load.get(back) ?? 0 };
    }
  });
  return truth;
}

function shortestPaths(adj: readonly Set<number>[], source: number): number[] {
  const parent = new Array<number>(adj.length).fill(-1);
  const seen = new Set([source]);
  const queue = [source];
  for (let q = 0; q < queue.length; q++) {
    const u = queue[q] as number;
    for (const v of adj[u] ?? []) {
      if (seen.has(v)) continue;
      seen.add(v);
      parent[v] = u;
      queue.push(v);
    }
  }
  return parent;
}

function scenario(
  rng: Rng,
  id: string,
  truth: Truth,
  bug: Bug,
  probe: Omit<Probe, "size">,
): StressWorkload<TelemetryInput> {
  const input = perturb(truth, bug, rng.fork(id));
  const workload: StressWorkload<TelemetryInput> = {
    id,
    split: "stress",
    input,
    probe: { ...probe, size: Object.keys(truth).length },
  };
  registerScenario({ workload, truth, bug, timestamp: "synthetic" });
  return workload;
}

export function stressWorkloads(): StressWorkload<TelemetryInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<TelemetryInput>[] = [];
  for (const scale of SCALES) {
    const n = ABILENE_ROUTERS * scale;
    const rng = root.fork(`x${scale}`);
    out.push(
      scenario(rng, `backbone_x${scale}`, backbone(rng, n), "dropped", {
        kind: "scale",
        family: "backbone",
        what: `${n} routers, 20% of interfaces dropped (${scale}x Abilene)`,
      }),
    );
  }
  const edge = root.fork("edge");
  const idle = backbone(edge, ABILENE_ROUTERS);
  for (const t of Object.values(idle)) {
    t.rx_rate = 0;
    t.tx_rate = 0;
  }
  out.push(
    scenario(edge, "idle", idle, "scaled", { kind: "edge", what: "no traffic anywhere (all counters 0)" }),
  );
  out.push(
    scenario(edge, "one_link", backbone(edge, 2), "correlated_scaled", {
      kind: "edge",
      what: "two routers, one link",
    }),
  );
  const down = backbone(edge, ABILENE_ROUTERS);
  for (const [id, t] of Object.entries(down).slice(0, 6)) {
    const peer = `${id.split("_to_")[1]}_to_${id.split("_to_")[0]}`;
    for (const x of [t, down[peer]]) {
      if (!x) continue;
      x.interface_status = "down";
      x.rx_rate = 0;
      x.tx_rate = 0;
    }
  }
  out.push(scenario(edge, "links_down", down, "dropped", { kind: "edge", what: "six links down" }));
  const hot = backbone(edge, ABILENE_ROUTERS);
  const first = Object.entries(hot)[0];
  if (first) {
    const [id, t] = first;
    t.tx_rate *= 1e6;
    const peer = hot[`${id.split("_to_")[1]}_to_${id.split("_to_")[0]}`];
    if (peer) peer.rx_rate = t.tx_rate;
  }
  out.push(
    scenario(edge, "hot_link", hot, "scaled", {
      kind: "edge",
      what: "one link a million times busier (extreme rate)",
    }),
  );
  const shift = root.fork("shift");
  const heavy = scenario(shift, "mostly_dropped", backbone(shift, ABILENE_ROUTERS * 2), "dropped", {
    kind: "shift",
    what: "22 routers, 60% of interfaces dropped (train drops 20%)",
  });
  for (const reading of Object.values(heavy.input.telemetry)) {
    if (shift.next() < 0.5) {
      reading.rx_rate = 0;
      reading.tx_rate = 0;
    }
  }
  out.push(heavy);
  return out;
}
