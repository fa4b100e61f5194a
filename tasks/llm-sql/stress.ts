/**
 * The stress split (`adrs audit`, docs/audit.md): the movies shape from a
 * quarter of its train size to four times it (60,000 rows), edge cases (one
 * row, one column, identical rows, all-distinct cells, a huge cell) and a
 * shifted shape (40 narrow columns). Seeded, so the same on every call.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { encodeTable, type RawTable } from "./datasets.ts";
import { movies } from "./generators.ts";
import type { TableInput } from "./table.ts";
import { encodeDataset } from "./workloads.ts";

const STRESS_SEED = 0x57e5_5a1;
/** Rows and parent entities of the movies shape in train. */
const TRAIN = { rows: 15_000, parents: 700 };
export const SCALES = [0.25, 0.5, 1, 2, 4] as const;

function workload(id: string, input: TableInput, probe: Omit<Probe, "size">): StressWorkload<TableInput> {
  const rows = input.columns.length === 0 ? 0 : input.cells.length / input.columns.length;
  return { id, split: "stress", input, probe: { ...probe, size: rows } };
}

const table = (columns: string[], rows: string[][]): TableInput => encodeTable({ columns, rows } as RawTable);

export function stressWorkloads(): StressWorkload<TableInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<TableInput>[] = [];
  for (const scale of SCALES) {
    const size = { rows: TRAIN.rows * scale, parents: Math.round(TRAIN.parents * scale) };
    out.push(
      workload(
        `movies_x${scale}`,
        encodeDataset(movies(root.fork(`x${scale}`), size), `stress movies x${scale}`),
        {
          kind: "scale",
          family: "movies",
          what: `${size.rows} movie rows (${scale}x train)`,
        },
      ),
    );
  }
  const rng = root.fork("edge");
  const word = () => Math.floor(rng.next() * 1e9).toString(36);
  out.push(workload("one_row", table(["a", "b", "c"], [["x", "y", "z"]]), { kind: "edge", what: "one row" }));
  out.push(
    workload(
      "one_column",
      table(
        ["a"],
        Array.from({ length: 2000 }, () => [word().slice(0, 2)]),
      ),
      {
        kind: "edge",
        what: "2,000 rows of one column (no field order to choose)",
      },
    ),
  );
  out.push(
    workload(
      "identical_rows",
      table(
        ["a", "b", "c", "d"],
        Array.from({ length: 2000 }, () => ["same", "row", "every", "time"]),
      ),
      {
        kind: "edge",
        what: "2,000 identical rows (every order ties)",
      },
    ),
  );
  out.push(
    workload(
      "all_distinct",
      table(
        ["a", "b", "c", "d"],
        Array.from({ length: 2000 }, () => [word(), word(), word(), word()]),
      ),
      {
        kind: "edge",
        what: "2,000 rows of distinct cells (nothing to share)",
      },
    ),
  );
  const huge = "h".repeat(20_000);
  out.push(
    workload(
      "huge_cell",
      table(
        ["k", "text"],
        Array.from({ length: 200 }, (_, i) => [String(i % 7), i % 2 === 0 ? huge : word()]),
      ),
      { kind: "edge", what: "a 20,000-character cell in half of 200 rows (extreme length)" },
    ),
  );
  const shift = root.fork("shift");
  const columns = Array.from({ length: 40 }, (_, c) => `c${c}`);
  out.push(
    workload(
      "wide",
      table(
        columns,
        Array.from({ length: 1500 }, () => columns.map((_, c) => String(shift.int(2 + c)))),
      ),
      { kind: "shift", what: "40 short columns of growing cardinality (train tables have 5-12)" },
    ),
  );
  return out;
}
