/**
 * Trusted validation and simulation of an expert placement. Nothing the
 * program returns is taken on trust: the three maps must agree with each other
 * slot by slot, and the load each GPU carries is recomputed here from the next
 * window's loads.
 */

/** The program's answer for one window. */
export interface Placement {
  /** phy2log[l][p]: the logical expert held by physical slot p of layer l. */
  phy2log: number[][];
  /** log2phy[l][e]: the slots holding e's replicas, by rank, then optional −1 padding. */
  log2phy: number[][][];
  /** logcnt[l][e]: how many replicas expert e has in layer l. */
  logcnt: number[][];
}

export interface Shape {
  layers: number;
  experts: number;
  /** Physical slots per layer. */
  replicas: number;
  gpus: number;
}

export type Checked = { ok: true; placement: Placement } | { ok: false; error: string };

type Unpacked = { ok: true; rows: unknown[][] } | { ok: false; error: string };

/** Rows of `{ lengths, values }` (the driver's flat form) as nested arrays, or why it is malformed. */
function unpackRows(v: unknown, name: string): Unpacked {
  const bad = (why: string): Unpacked => ({
    ok: false,
    error: `malformed output from the driver: ${name} ${why}`,
  });
  if (!isRecord(v) || !Array.isArray(v.lengths) || !Array.isArray(v.values))
    return bad("is not { lengths, values }");
  const lengths = v.lengths as unknown[];
  const values = v.values as unknown[];
  let total = 0;
  for (const n of lengths) {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
      return bad("has a length that is not a count");
    total += n;
  }
  if (total !== values.length) return bad(`lists ${total} entries but holds ${values.length}`);
  const rows: unknown[][] = new Array(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i] as number;
    rows[i] = values.slice(at, at + n);
    at += n;
  }
  return { ok: true, rows };
}

/**
 * The driver's flat output (see driver.ts) back as the program's three nested
 * maps. Only a tampered driver produces a malformed one; its content is judged
 * by `checkPlacement`.
 */
export function unpackPlacement(
  output: unknown,
): { ok: true; nested: Record<string, unknown> } | { ok: false; error: string } {
  if (!isRecord(output)) return { ok: false, error: `malformed output from the driver: ${describe(output)}` };
  const phy2log = unpackRows(output.phy2log, "phy2log");
  if (!phy2log.ok) return phy2log;
  const logcnt = unpackRows(output.logcnt, "logcnt");
  if (!logcnt.ok) return logcnt;
  const lists = unpackRows(output.log2phy, "log2phy");
  if (!lists.ok) return lists;
  const layers = unpackRows({ lengths: output.log2phyLayers, values: lists.rows }, "log2phyLayers");
  if (!layers.ok) return layers;
  return { ok: true, nested: { phy2log: phy2log.rows, logcnt: logcnt.rows, log2phy: layers.rows } };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Why `rows` is not an array of `count` arrays of `width` entries, or null. */
function matrixProblem(name: string, rows: unknown, count: number, width: number | null): string | null {
  if (!Array.isArray(rows))
    return `${name} must be an array of ${count} rows (one per layer), got ${describe(rows)}`;
  if (rows.length !== count) return `${name} has ${rows.length} rows, expected ${count} (one per layer)`;
  for (let l = 0; l < count; l++) {
    const row: unknown = rows[l];
    if (!Array.isArray(row)) return `${name}[${l}] must be an array, got ${describe(row)}`;
    if (width !== null && row.length !== width) {
      return `${name}[${l}] has ${row.length} entries, expected ${width}`;
    }
  }
  return null;
}

function isIndex(v: unknown, limit: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < limit;
}

/**
 * Validates the program's output against the window it is simulated on:
 * shapes, integer ranges, the three maps consistent slot by slot (every slot
 * used exactly once, counts equal to the slots listed), and every expert with
 * load in `next` given at least one replica.
 */
export function checkPlacement(output: unknown, next: readonly (readonly number[])[], shape: Shape): Checked {
  const { layers, experts, replicas } = shape;
  if (!isRecord(output)) {
    return {
      ok: false,
      error: `output must be an object { phy2log, log2phy, logcnt }, got ${describe(output)}`,
    };
  }
  for (const key of ["phy2log", "log2phy", "logcnt"]) {
    if (!(key in output) || output[key] === undefined) return { ok: false, error: `output has no ${key}` };
  }
  const problem =
    matrixProblem("phy2log", output.phy2log, layers, replicas) ??
    matrixProblem("logcnt", output.logcnt, layers, experts) ??
    matrixProblem("log2phy", output.log2phy, layers, experts);
  if (problem) return { ok: false, error: problem };
  const phy2log = output.phy2log as unknown[][];
  const logcnt = output.logcnt as unknown[][];
  const log2phy = output.log2phy as unknown[][];

  const listedBy = new Int32Array(replicas);
  for (let l = 0; l < layers; l++) {
    const slots = phy2log[l] as unknown[];
    for (let p = 0; p < replicas; p++) {
      const e = slots[p];
      if (!isIndex(e, experts)) {
        return {
          ok: false,
          error: `phy2log[${l}][${p}] is ${describe(e)}, not an expert index in 0..${experts - 1}`,
        };
      }
    }
    const counts = logcnt[l] as unknown[];
    let total = 0;
    for (let e = 0; e < experts; e++) {
      const c = counts[e];
      if (!isIndex(c, replicas + 1)) {
        return {
          ok: false,
          error: `logcnt[${l}][${e}] is ${describe(c)}, not a replica count in 0..${replicas}`,
        };
      }
      total += c;
      const load = next[l]?.[e] ?? 0;
      if (c === 0 && load > 0) {
        return {
          ok: false,
          error: `expert ${e} of layer ${l} has no replica (logcnt[${l}][${e}] = 0) but receives ${load} tokens in the next window`,
        };
      }
    }
    if (total !== replicas) {
      return {
        ok: false,
        error: `logcnt[${l}] sums to ${total}, expected ${replicas} (one replica per slot)`,
      };
    }
    listedBy.fill(-1);
    const lists = log2phy[l] as unknown[];
    for (let e = 0; e < experts; e++) {
      const list = lists[e];
      const c = counts[e] as number;
      if (!Array.isArray(list))
        return { ok: false, error: `log2phy[${l}][${e}] must be an array, got ${describe(list)}` };
      if (list.length < c) {
        return {
          ok: false,
          error: `log2phy[${l}][${e}] lists ${list.length} slots but logcnt[${l}][${e}] = ${c}`,
        };
      }
      if (list.length > replicas) {
        return {
          ok: false,
          error: `log2phy[${l}][${e}] has ${list.length} entries, more than the ${replicas} slots`,
        };
      }
      for (let r = 0; r < list.length; r++) {
        const p: unknown = list[r];
        if (r >= c) {
          if (p !== -1) {
            return {
              ok: false,
              error: `log2phy[${l}][${e}][${r}] is ${describe(p)}, but expert ${e} has logcnt ${c}: entries past the count must be -1`,
            };
          }
          continue;
        }
        if (!isIndex(p, replicas)) {
          return {
            ok: false,
            error: `log2phy[${l}][${e}][${r}] is ${describe(p)}, not a slot index in 0..${replicas - 1}`,
          };
        }
        const owner = (phy2log[l] as number[])[p] as number;
        if (owner !== e) {
          return {
            ok: false,
            error: `log2phy[${l}][${e}][${r}] = ${p}, but phy2log[${l}][${p}] = ${owner}, not ${e}`,
          };
        }
        const before = listedBy[p] as number;
        if (before >= 0) {
          return { ok: false, error: `slot ${p} of layer ${l} is listed twice in log2phy[${l}][${e}]` };
        }
        listedBy[p] = e;
      }
    }
    // Counts sum to the slot total and every listed slot is distinct and agrees with
    // phy2log, so every slot is listed exactly once, under the expert it holds.
  }
  return {
    ok: true,
    placement: {
      phy2log: phy2log as number[][],
      log2phy: log2phy as number[][][],
      logcnt: logcnt as number[][],
    },
  };
}

export interface Simulation {
  /** Σ_l mean GPU load / Σ_l max GPU load: the published balancedness. */
  gpuBalance: number;
  /** The same over physical slots instead of GPUs. */
  slotBalance: number;
  /** The layer with the highest max/mean GPU load, and that ratio. */
  worstLayer: number;
  worstRatio: number;
}

/**
 * Runs a validated placement on a window of loads: each expert's load is split
 * evenly over its replicas and added to their slots; a GPU carries the sum of
 * its slots (slot p is on GPU ⌊p / (replicas / gpus)⌋).
 */
export function simulate(
  placement: Placement,
  loads: readonly (readonly number[])[],
  shape: Shape,
): Simulation {
  const { layers, experts, replicas, gpus } = shape;
  const perGpu = replicas / gpus;
  const slot = new Float64Array(replicas);
  const gpu = new Float64Array(gpus);
  let sumMean = 0;
  let sumMax = 0;
  let sumSlotMean = 0;
  let sumSlotMax = 0;
  let worstLayer = 0;
  let worstRatio = 1;
  for (let l = 0; l < layers; l++) {
    slot.fill(0);
    const row = loads[l] as readonly number[];
    const counts = placement.logcnt[l] as number[];
    const lists = placement.log2phy[l] as number[][];
    let total = 0;
    for (let e = 0; e < experts; e++) {
      const w = row[e] as number;
      total += w;
      const c = counts[e] as number;
      if (c === 0) continue;
      const share = w / c;
      const list = lists[e] as number[];
      for (let r = 0; r < c; r++) {
        const p = list[r] as number;
        slot[p] = (slot[p] as number) + share;
      }
    }
    gpu.fill(0);
    let slotMax = 0;
    for (let p = 0; p < replicas; p++) {
      const s = slot[p] as number;
      const g = Math.floor(p / perGpu);
      gpu[g] = (gpu[g] as number) + s;
      if (s > slotMax) slotMax = s;
    }
    let gpuMax = 0;
    for (let g = 0; g < gpus; g++) if ((gpu[g] as number) > gpuMax) gpuMax = gpu[g] as number;
    const mean = total / gpus;
    sumMean += mean;
    sumMax += gpuMax;
    sumSlotMean += total / replicas;
    sumSlotMax += slotMax;
    if (mean > 0 && gpuMax / mean > worstRatio) {
      worstRatio = gpuMax / mean;
      worstLayer = l;
    }
  }
  return {
    gpuBalance: sumMax > 0 ? sumMean / sumMax : 1,
    slotBalance: sumSlotMax > 0 ? sumSlotMean / sumSlotMax : 1,
    worstLayer,
    worstRatio,
  };
}

/** The published score: 90 · mean balance, plus up to 10 points for speed, minus a penalty past 10 ms. */
export function scoreParts(meanBalance: number, meanSeconds: number | undefined) {
  const balancePoints = 90 * meanBalance;
  let speedPoints = 0;
  let penalty = 0;
  if (meanSeconds !== undefined && Number.isFinite(meanSeconds)) {
    speedPoints = meanSeconds <= 0 ? 10 : 5 * Math.min(0.002 / meanSeconds, 2);
    penalty = meanSeconds > 0.01 ? Math.min(20 * meanSeconds, 20) : 0;
  }
  const score = Math.min(100, Math.max(0, balancePoints + speedPoints - penalty));
  return { score, balancePoints, speedPoints, penalty };
}
