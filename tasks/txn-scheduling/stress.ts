/**
 * The stress split (`adrs audit`, docs/audit.md): the three test families at
 * 2, 4 and 8 times the train size (100 transactions), edge cases and shifted
 * key distributions. Seeded, so the same on every call.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import type { TxnInput } from "./simulator.ts";
import { cyclicTxns, hotsetTxns, tpccTxns } from "./workloads.ts";

const STRESS_SEED = 0x57e5_2026;
const TRAIN_SIZE = 100;
export const SCALES = [1, 2, 4, 8] as const;

function workload(id: string, txns: string[], probe: Omit<Probe, "size">): StressWorkload<TxnInput> {
  return { id, split: "stress", input: { txns }, probe: { ...probe, size: txns.length } };
}

export function stressWorkloads(): StressWorkload<TxnInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<TxnInput>[] = [];
  const families: [string, (rng: Rng, count: number) => string[]][] = [
    ["hotset", hotsetTxns],
    ["tpcc", tpccTxns],
    ["cyclic", cyclicTxns],
  ];
  for (const [family, generate] of families) {
    for (const scale of SCALES) {
      const n = TRAIN_SIZE * scale;
      out.push(
        workload(`${family}_x${scale}`, generate(root.fork(`${family}_${scale}`), n), {
          kind: "scale",
          family,
          what: `${n} ${family} transactions (${scale}x train)`,
        }),
      );
    }
  }
  const rng = root.fork("edge");
  out.push(workload("empty", [], { kind: "edge", what: "no transactions" }));
  out.push(workload("single", ["r-1 w-1"], { kind: "edge", what: "one transaction" }));
  out.push(
    workload("identical", Array(200).fill("r-1 w-2 * w-3"), {
      kind: "edge",
      what: "200 identical transactions (every order ties)",
    }),
  );
  out.push(
    workload(
      "reads_only",
      Array.from({ length: 200 }, () => `r-${1 + rng.int(5)} r-${1 + rng.int(5)} *`),
      { kind: "edge", what: "200 read-only transactions (no conflicts)" },
    ),
  );
  const giant = ["*", ...Array.from({ length: 2000 }, (_, i) => `w-${i}`)].join(" ");
  out.push(
    workload("one_giant", [giant, ...Array.from({ length: 99 }, (_, i) => `r-${i * 20} w-${i * 20 + 1}`)], {
      kind: "edge",
      what: "one transaction of 2,001 ops among 99 short ones (extreme length)",
    }),
  );
  const sorted = hotsetTxns(root.fork("sorted"), 400).sort((a, b) => b.length - a.length);
  out.push(
    workload("longest_first", sorted, {
      kind: "edge",
      what: "400 hotset transactions arriving longest first (adversarial order)",
    }),
  );
  const shift = root.fork("shift");
  out.push(
    workload(
      "single_key",
      Array.from(
        { length: 300 },
        () => `${shift.next() < 0.5 ? "r" : "w"}-1 ${"* ".repeat(shift.int(6))}w-1`,
      ),
      { kind: "shift", what: "300 transactions all writing one key (full contention)" },
    ),
  );
  out.push(
    workload(
      "uniform_wide",
      Array.from({ length: 300 }, () =>
        Array.from({ length: 8 }, () => `${shift.next() < 0.5 ? "r" : "w"}-${shift.int(100_000)}`).join(" "),
      ),
      { kind: "shift", what: "300 transactions over 100,000 uniform keys (almost no contention)" },
    ),
  );
  return out;
}
