/**
 * The Abilene network data of the published task: 40 timestamps of per-link
 * counters (evaluation_data.csv, every row unperturbed) and the topology
 * (topology.json, 12 routers, 15 links). Parsing is pure; workloads.ts reads
 * the files.
 */
import type { Truth } from "./telemetry.ts";

/** One timestamp: the true counters of every interface. */
export interface Snapshot {
  /** The CSV's first (index) column. */
  index: string;
  timestamp: string;
  truth: Truth;
}

const EGRESS = /^low_(.+)_egress_to_(.+)$/;
const INGRESS = /^low_(.+)_ingress_from_(.+)$/;
const GROUND_TRUTH = /'ground_truth':\s*([-+0-9.eE]+|nan|None)/;

/** Splits one CSV line: fields may be double-quoted (with "" for a quote); no line breaks inside. */
function splitLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let field = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error("a quoted field is never closed");
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(field);
      if (i < line.length && line[i] !== ",") throw new Error(`a quoted field is followed by ${line[i]}`);
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

/**
 * Parses evaluation_data.csv: the interface counters of each row, from the
 * `ground_truth` of the `low_<A>_egress_to_<B>` (tx of `A_to_B`) and
 * `low_<A>_ingress_from_<B>` (rx of `A_to_B`) columns. Errors name the file,
 * the line and the column.
 */
export function parseEvaluationCsv(text: string, source: string): Snapshot[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const headerLine = lines[0];
  if (headerLine === undefined) throw new Error(`${source}: empty file`);
  const header = splitLine(headerLine);
  const timestampAt = header.indexOf("timestamp");
  if (timestampAt < 0) throw new Error(`${source}: no "timestamp" column`);
  const columns: { at: number; name: string; id: string; field: "tx_rate" | "rx_rate" }[] = [];
  header.forEach((name, at) => {
    const egress = EGRESS.exec(name);
    if (egress) columns.push({ at, name, id: `${egress[1]}_to_${egress[2]}`, field: "tx_rate" });
    const ingress = INGRESS.exec(name);
    if (ingress) columns.push({ at, name, id: `${ingress[1]}_to_${ingress[2]}`, field: "rx_rate" });
  });
  if (columns.length === 0)
    throw new Error(`${source}: no low_<A>_egress_to_<B> / low_<A>_ingress_from_<B> columns`);
  const snapshots: Snapshot[] = [];
  for (let l = 1; l < lines.length; l++) {
    let fields: string[];
    try {
      fields = splitLine(lines[l] as string);
    } catch (e) {
      throw new Error(`${source}: line ${l + 1}: ${(e as Error).message}`);
    }
    if (fields.length !== header.length) {
      throw new Error(
        `${source}: line ${l + 1} has ${fields.length} fields, the header has ${header.length}`,
      );
    }
    const truth: Truth = {};
    for (const c of columns) {
      const m = GROUND_TRUTH.exec(fields[c.at] as string);
      const value = m ? Number(m[1]) : Number.NaN;
      if (!Number.isFinite(value) || value < 0) {
        throw new Error(`${source}: line ${l + 1}, column ${c.name}: no non-negative ground_truth`);
      }
      truth[c.id] ??= { interface_status: "up", rx_rate: Number.NaN, tx_rate: Number.NaN };
      (truth[c.id] as Truth[string])[c.field] = value;
    }
    for (const [id, t] of Object.entries(truth)) {
      for (const field of ["rx_rate", "tx_rate"] as const) {
        if (Number.isNaN(t[field])) throw new Error(`${source}: interface ${id} has no ${field} column`);
      }
    }
    snapshots.push({ index: fields[0] as string, timestamp: fields[timestampAt] as string, truth });
  }
  return snapshots;
}

/** The router names of topology.json and its links as name pairs. */
export function parseTopology(
  json: unknown,
  source: string,
): { routers: string[]; links: [string, string][] } {
  const t = json as { nodes?: unknown; links?: unknown };
  if (!Array.isArray(t?.nodes) || !Array.isArray(t?.links)) {
    throw new Error(`${source}: expected { nodes: [...], links: [...] }`);
  }
  const byId = new Map<number, string>();
  t.nodes.forEach((n: { id?: unknown; name?: unknown }, i: number) => {
    if (typeof n?.id !== "number" || typeof n?.name !== "string") {
      throw new Error(`${source}: nodes[${i}] needs a numeric id and a string name`);
    }
    byId.set(n.id, n.name);
  });
  const links = t.links.map((link: { source?: unknown; target?: unknown }, i: number): [string, string] => {
    const a = byId.get(link?.source as number);
    const b = byId.get(link?.target as number);
    if (a === undefined || b === undefined) throw new Error(`${source}: links[${i}] names an unknown node`);
    return [a, b];
  });
  return { routers: [...byId.values()], links };
}

/** Checks that the counters cover exactly the topology's links, both directions. */
export function checkCoverage(snapshot: Snapshot, links: readonly [string, string][], source: string): void {
  const expected = new Set(links.flatMap(([a, b]) => [`${a}_to_${b}`, `${b}_to_${a}`]));
  for (const id of Object.keys(snapshot.truth)) {
    if (!expected.has(id)) throw new Error(`${source}: interface ${id} is not on a link of the topology`);
  }
  for (const id of expected) {
    if (!(id in snapshot.truth))
      throw new Error(`${source}: no counters for interface ${id} of the topology`);
  }
}
