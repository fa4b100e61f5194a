/**
 * Synthetic expert-load traces. The published trace (vLLM serving ShareGPT and
 * GSM8K requests, 223 MB) is not stored, so loads are generated with the
 * shape it shows: per layer a heavy-tailed
 * expert popularity with a few hot experts, drifting slowly over time, and two
 * request "regimes" (datasets) whose mix changes every few hundred steps. Each
 * step routes every token to its top-8 experts; loads are summed over windows
 * of 100 steps. A workload is one window: the program sees window i and its
 * placement is simulated on window i + 1.
 */
import { Rng, type Workload } from "../../src/task/api.ts";

/** DeepSeek-V3's deployment: 58 MoE layers of 256 routed experts on 288 slots, 32 GPUs, 4 nodes. */
export const SHAPE = {
  layers: 58,
  experts: 256,
  replicas: 288,
  groups: 8,
  nodes: 4,
  gpus: 32,
} as const;

export const STEPS_PER_WINDOW = 100;
export const WINDOWS = 30;
export const TOP_K = 8;

/** What the program is given: one window of loads and the cluster shape. */
export interface EplbInput {
  /** weight[l][e]: tokens routed to logical expert e of layer l over the window. */
  weight: number[][];
  numReplicas: number;
  numGroups: number;
  numNodes: number;
  numGpus: number;
}

export interface TraceOptions {
  layers: number;
  experts: number;
  windows: number;
  stepsPerWindow: number;
}

// Popularity between the experts of a layer: log-normal, plus a few hot ones.
const POPULARITY_SIGMA = 0.7;
const HOT_MIN = 2;
const HOT_MAX = 6;
const HOT_BOOST_MIN = 5;
const HOT_BOOST_MAX = 20;
/** How much of a layer's popularity the two regimes share (correlation in log space). */
const REGIME_CORRELATION = 0.6;
/** Regime segments last this many steps; the mix moves to the new regime over TRANSITION steps. */
const SEGMENT_MIN = 300;
const SEGMENT_MAX = 800;
const TRANSITION = 40;
/** Popularity drift: AR(1) in log space per tick, with this stationary spread. */
const TICK = 20;
const DRIFT_PHI = 0.95;
const DRIFT_SIGMA = 0.6;
/** Tick-to-tick burstiness (batch composition), independent per tick. */
const BURST_SIGMA = 0.5;
/** Tokens per step: log-normal around this median, AR(1) per tick. */
const TOKENS_MEDIAN = 4096;
const TOKENS_SIGMA = 0.3;
const TOKENS_PHI = 0.9;

/**
 * A uniform stream in [0, 1) seeded from `rng`, for the generator's inner
 * loop: the same sfc32 steps as `Rng`, on local state (no allocation per draw).
 */
function uniforms(rng: Rng): () => number {
  const word = () => Math.floor(rng.next() * 4294967296) | 0;
  let a = word();
  let b = word();
  let c = word();
  let d = word();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * A trace: `windows` window sums, each `layers × experts` integer loads. The
 * same generator state always gives the same trace.
 */
export function generateTrace(rng: Rng, options: TraceOptions): number[][][] {
  const { layers, experts, windows, stepsPerWindow } = options;
  if (stepsPerWindow % TICK !== 0) throw new Error(`eplb: stepsPerWindow must be a multiple of ${TICK}`);
  const steps = windows * stepsPerWindow;
  const ticks = Math.ceil(steps / TICK);

  // The regime mix per tick: 0 = regime A only, 1 = regime B only.
  const mix = new Float64Array(ticks);
  {
    const schedule = rng.fork("regimes");
    let level = schedule.next() < 0.5 ? 0.1 : 0.9;
    let from = level;
    let segmentStart = 0;
    let segmentEnd = SEGMENT_MIN + schedule.int(SEGMENT_MAX - SEGMENT_MIN + 1);
    for (let t = 0; t < ticks; t++) {
      const step = t * TICK;
      if (step >= segmentEnd) {
        from = level;
        level = level < 0.5 ? 0.7 + 0.3 * schedule.next() : 0.3 * schedule.next();
        segmentStart = segmentEnd;
        segmentEnd += SEGMENT_MIN + schedule.int(SEGMENT_MAX - SEGMENT_MIN + 1);
      }
      const progress = Math.min(1, (step - segmentStart) / TRANSITION);
      mix[t] = from + (level - from) * progress;
    }
  }

  // Tokens per tick (TICK steps).
  const tokens = new Float64Array(ticks);
  {
    const volume = rng.fork("tokens");
    let x = 0;
    for (let t = 0; t < ticks; t++) {
      x = TOKENS_PHI * x + Math.sqrt(1 - TOKENS_PHI ** 2) * TOKENS_SIGMA * volume.normal();
      tokens[t] = TICK * TOKENS_MEDIAN * Math.exp(x);
    }
  }

  const trace: number[][][] = Array.from({ length: windows }, () => []);
  const expected = new Float64Array(experts);
  const drift = new Float64Array(experts);
  const weightA = new Float64Array(experts);
  const weightB = new Float64Array(experts);
  const ticksPerWindow = stepsPerWindow / TICK;
  const driftStep = Math.sqrt(1 - DRIFT_PHI ** 2) * DRIFT_SIGMA;
  for (let l = 0; l < layers; l++) {
    const layer = rng.fork(`layer ${l}`);
    const a = new Float64Array(experts);
    const b = new Float64Array(experts);
    for (let e = 0; e < experts; e++) {
      const shared = layer.normal();
      a[e] = POPULARITY_SIGMA * shared;
      b[e] =
        POPULARITY_SIGMA *
        (REGIME_CORRELATION * shared + Math.sqrt(1 - REGIME_CORRELATION ** 2) * layer.normal());
    }
    for (const base of [a, b]) {
      const hot = HOT_MIN + layer.int(HOT_MAX - HOT_MIN + 1);
      for (let h = 0; h < hot; h++) {
        const e = layer.int(experts);
        base[e] = Math.log(HOT_BOOST_MIN + (HOT_BOOST_MAX - HOT_BOOST_MIN) * layer.next());
      }
    }
    for (let e = 0; e < experts; e++) {
      a[e] = Math.exp(a[e] as number);
      b[e] = Math.exp(b[e] as number);
      drift[e] = DRIFT_SIGMA * layer.normal();
    }
    const uniform = uniforms(layer);

    for (let window = 0; window < windows; window++) {
      expected.fill(0);
      for (let t = window * ticksPerWindow; t < (window + 1) * ticksPerWindow; t++) {
        let sumA = 0;
        let sumB = 0;
        for (let e = 0; e < experts; e++) {
          // Two standard normals from one Box–Muller draw: the drift step and the tick's burst.
          const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
          const angle = 2 * Math.PI * uniform();
          const d = DRIFT_PHI * (drift[e] as number) + driftStep * radius * Math.cos(angle);
          drift[e] = d;
          const factor = Math.exp(d + BURST_SIGMA * radius * Math.sin(angle));
          const wa = (a[e] as number) * factor;
          const wb = (b[e] as number) * factor;
          weightA[e] = wa;
          weightB[e] = wb;
          sumA += wa;
          sumB += wb;
        }
        const m = mix[t] as number;
        const routed = (tokens[t] as number) * TOP_K;
        for (let e = 0; e < experts; e++) {
          const p = (1 - m) * ((weightA[e] as number) / sumA) + m * ((weightB[e] as number) / sumB);
          // Top-k routes a token to an expert at most once.
          expected[e] = (expected[e] as number) + routed * Math.min(p, 1 / TOP_K);
        }
      }
      const row: number[] = new Array(experts);
      for (let e = 0; e < experts; e++) {
        const mean = expected[e] as number;
        // Sampling noise of the routed counts (Poisson, normal approximation).
        const noise = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
        row[e] = Math.max(0, Math.round(mean + Math.sqrt(mean) * noise));
      }
      (trace[window] as number[][]).push(row);
    }
  }
  return trace;
}

const TRAIN_SEED = 0xe91b_2025;
const TEST_SEED = 0x7e57_e91b;

const FULL: TraceOptions = {
  layers: SHAPE.layers,
  experts: SHAPE.experts,
  windows: WINDOWS,
  stepsPerWindow: STEPS_PER_WINDOW,
};

/** A split's workloads: window i as input; window i + 1 stays on the trusted side. */
export interface SplitTrace {
  workloads: Workload<EplbInput>[];
  /** next[i]: the loads workload i's placement is simulated on. */
  next: number[][][];
}

// The window each workload's placement is simulated on, by input object.
const nextByInput = new WeakMap<EplbInput, number[][]>();
const splitCache = new Map<string, SplitTrace>();

/** Records the window an input's placement is simulated on (the stress split's windows). */
export function rememberNext(input: EplbInput, next: number[][]): void {
  nextByInput.set(input, next);
}

/** Workloads for consecutive windows of `trace`: each placement is simulated on the window after its own. */
export function workloadsFromTrace(split: "train" | "test", trace: number[][][]): SplitTrace {
  const workloads: Workload<EplbInput>[] = [];
  const next: number[][][] = [];
  for (let i = 0; i + 1 < trace.length; i++) {
    const input: EplbInput = {
      weight: trace[i] as number[][],
      numReplicas: SHAPE.replicas,
      numGroups: SHAPE.groups,
      numNodes: SHAPE.nodes,
      numGpus: SHAPE.gpus,
    };
    nextByInput.set(input, trace[i + 1] as number[][]);
    workloads.push({ id: `window_${String(i).padStart(2, "0")}`, split, input });
    next.push(trace[i + 1] as number[][]);
  }
  return { workloads, next };
}

/** The split's trace, generated once per process (deterministic: a fixed seed per split). */
export function splitTrace(split: "train" | "test"): SplitTrace {
  let cached = splitCache.get(split);
  if (!cached) {
    const seed = split === "train" ? TRAIN_SEED : TEST_SEED;
    cached = workloadsFromTrace(split, generateTrace(new Rng(seed), FULL));
    splitCache.set(split, cached);
  }
  return cached;
}

/** The loads a workload's placement is simulated on: the window after the one the program saw. */
export function nextWindow(workload: Workload<EplbInput>): number[][] {
  const known = nextByInput.get(workload.input);
  if (known) return known;
  // A copy of a stored workload (the input crossed a process boundary): find it by id.
  if (workload.split === "stress") throw new Error(`eplb: unknown stress workload "${workload.id}"`);
  const trace = splitTrace(workload.split);
  const i = trace.workloads.findIndex((w) => w.id === workload.id);
  if (i < 0) throw new Error(`eplb: unknown workload "${workload.id}" in the ${workload.split} split`);
  return trace.next[i] as number[][];
}
