/**
 * Raw tables (as a CSV holds them), the published column merges, and the
 * dictionary encoding that turns a raw table into the candidate's input.
 * Pure: reading files is workloads.ts's business.
 */
import type { TableInput } from "./table.ts";

/** A table before merging: header and rows of cell text (missing cells are ""). */
export interface RawTable {
  columns: string[];
  rows: string[][];
}

/** A merged table: each merged field also keeps its parts, so a program may order them. */
export interface MergedTable extends RawTable {
  merges: { field: number; parts: string[]; rows: string[][] }[];
}

/**
 * Parses CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF),
 * naming `source` and the line in errors. Missing trailing cells become "".
 */
export function parseCsv(text: string, source: string): RawTable {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (field !== "") throw new Error(`${source}: line ${line}: a quote inside an unquoted field`);
      quoted = true;
      i++;
    } else if (ch === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (ch === "\n" || ch === "\r") {
      record.push(field);
      field = "";
      records.push(record);
      record = [];
      if (ch === "\r" && text[i + 1] === "\n") i++;
      i++;
      line++;
      recordLine = line;
    } else {
      field += ch;
      i++;
    }
  }
  if (quoted) throw new Error(`${source}: line ${recordLine}: a quoted field is never closed`);
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const header = records.shift();
  if (!header || header.length === 0 || (header.length === 1 && header[0] === "")) {
    throw new Error(`${source}: no header line`);
  }
  const width = header.length;
  const rows: string[][] = [];
  records.forEach((r, k) => {
    if (r.length === 1 && r[0] === "") return; // blank line
    if (r.length > width) {
      throw new Error(`${source}: record ${k + 1} has ${r.length} fields, the header has ${width}`);
    }
    while (r.length < width) r.push("");
    rows.push(r);
  });
  return { columns: header, rows };
}

/**
 * Applies the column merges as the published evaluator does: each group's
 * cells are concatenated (no separator, in the group's order) into one field
 * named by joining the column names with "_"; the merged fields follow the
 * remaining columns, which keep their order. The parts stay beside the table,
 * for a program that orders them (the published GGR orders them by score).
 */
export function mergeColumns(
  table: RawTable,
  merges: readonly (readonly string[])[],
  source: string,
): MergedTable {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  const merged = new Set<string>();
  const groups = merges.map((group) =>
    group.map((c) => {
      const i = index.get(c);
      if (i === undefined)
        throw new Error(`${source}: merge names column "${c}", which the table does not have`);
      if (merged.has(c)) throw new Error(`${source}: column "${c}" is in two merges`);
      merged.add(c);
      return i;
    }),
  );
  const kept = table.columns.map((_, i) => i).filter((i) => !merged.has(table.columns[i] as string));
  const columns = [...kept.map((i) => table.columns[i] as string), ...merges.map((group) => group.join("_"))];
  const rows = table.rows.map((row) => [
    ...kept.map((i) => row[i] as string),
    ...groups.map((g) => g.map((i) => row[i] as string).join("")),
  ]);
  return {
    columns,
    rows,
    merges: merges.map((group, j) => ({
      field: kept.length + j,
      parts: [...group],
      rows: table.rows.map((row) => (groups[j] as number[]).map((i) => row[i] as string)),
    })),
  };
}

/** Dictionary-encodes a (merged) table; its merges' parts share the dictionary. */
export function encodeTable(table: RawTable | MergedTable): TableInput {
  const ids = new Map<string, number>();
  const values: string[] = [];
  const idOf = (text: string): number => {
    let id = ids.get(text);
    if (id === undefined) {
      id = values.length;
      values.push(text);
      ids.set(text, id);
    }
    return id;
  };
  const width = table.columns.length;
  const cells = new Array<number>(table.rows.length * width);
  table.rows.forEach((row, r) => {
    for (let c = 0; c < width; c++) cells[r * width + c] = idOf(row[c] as string);
  });
  const input: TableInput = { columns: [...table.columns], values, cells };
  const merges = "merges" in table ? table.merges : [];
  if (merges.length > 0) {
    input.merges = merges.map((m) => ({
      field: m.field,
      parts: [...m.parts],
      cells: m.rows.flat().map(idOf),
    }));
  }
  return input;
}

/** The first `rows` rows of a table, re-encoded (values of dropped rows go): for quick tests. */
export function headOf(table: TableInput, rows: number): TableInput {
  const width = table.columns.length;
  const n = Math.min(rows, table.cells.length / width);
  const text = (ids: number[]) => ids.map((id) => table.values[id] as string);
  const raw: string[][] = [];
  for (let r = 0; r < n; r++) raw.push(text(table.cells.slice(r * width, (r + 1) * width)));
  const merges = (table.merges ?? []).map((m) => {
    const k = m.parts.length;
    const parts: string[][] = [];
    for (let r = 0; r < n; r++) parts.push(text(m.cells.slice(r * k, (r + 1) * k)));
    return { field: m.field, parts: m.parts, rows: parts };
  });
  return encodeTable({ columns: table.columns, rows: raw, merges });
}
