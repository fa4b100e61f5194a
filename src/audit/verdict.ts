import type { Task } from "../task/contract.ts";
import { growthExponent } from "./growth.ts";
import type { ProbeRun } from "./measure.ts";
import type { AuditProbe } from "./probes.ts";

/** The weakness classes of docs/audit.md, in the order reports list them. */
export const WEAKNESS_CLASSES = ["crash", "slow", "memory", "worse", "nondeterministic"] as const;
export type WeaknessClass = (typeof WEAKNESS_CLASSES)[number];

export interface Weakness {
  class: WeaknessClass;
  /** The probe (workload id) or family it was found on. */
  where: string;
  reason: string;
}

/** Thresholds, fixed so that a verdict means the same on every machine (docs/audit.md). */
export const LIMITS = {
  /** Slow: at the largest size the slowdown against the baseline is this many times what it is at the smallest. */
  slowRatio: 2,
  /** CPU times below this are clock noise: floored before any ratio or fit. */
  cpuFloorMs: 5,
  /** And a slowdown is a weakness only when the program spends at least this much at the largest size. */
  slowMinMs: 50,
  /** Memory: heap growth from the smallest to the largest size this many times the baseline's… */
  memoryRatio: 2,
  /** …and at least this many bytes above the baseline's heap at the largest size. */
  memoryMinBytes: 8 * 1024 * 1024,
  /** Heap kept after repeated calls on one input: more than this growth (and twice the baseline's) is a leak. */
  leakBytes: 1024 * 1024,
  /** And the fitted exponent (time or memory) at least this much above the baseline's. */
  steeperBy: 0.5,
  /** Worse: the metric worse than the baseline's by more than this share of it. */
  worseShare: 0.01,
} as const;

/** One scale family: how time and memory grow with size, program against baseline. */
export interface Growth {
  family: string;
  sizes: number[];
  time: { program: number | null; baseline: number | null };
  memory: { program: number | null; baseline: number | null };
  /** CPU time of program over baseline at the smallest and the largest size (floored). */
  slowdown: { smallest: number | null; largest: number | null };
}

/** Heap kept after each call of repeated calls on one input. */
export interface LeakProbe {
  workload: string;
  program: number[] | string;
  baseline: number[] | string;
}

export interface Judged {
  weaknesses: Weakness[];
  /** Probes where the program fails as the baseline does: reported, not held against the program. */
  shared: { where: string; reason: string }[];
  growth: Growth[];
}

/** Judges a program's runs against the baseline's, probe by probe, family by family. */
export function judge(
  task: Task,
  probes: readonly AuditProbe[],
  program: readonly ProbeRun[],
  baseline: readonly ProbeRun[],
  leak: LeakProbe | null,
): Judged {
  const weaknesses: Weakness[] = [];
  const shared: Judged["shared"] = [];
  const ok = (r: ProbeRun | undefined) => r?.status === "ok";
  probes.forEach((p, i) => {
    const mine = program[i] as ProbeRun;
    const theirs = baseline[i] as ProbeRun;
    const where = `${p.split}/${p.workload.id}`;
    if (!ok(mine)) {
      const reason = `${mine.status}: ${firstLine(mine.error ?? "")}`;
      if (!ok(theirs)) shared.push({ where, reason });
      else if (mine.status === "timeout" && p.probe?.kind === "scale")
        weaknesses.push({
          class: "slow",
          where,
          reason: `${reason} (${p.probe.what}; the baseline takes ${ms(theirs.wallMs)})`,
        });
      else weaknesses.push({ class: "crash", where, reason });
    }
    if (mine.deterministic === false)
      weaknesses.push({
        class: "nondeterministic",
        where,
        reason: "two calls on the same input returned different outputs",
      });
    if (ok(mine) && ok(theirs) && mine.value !== undefined && theirs.value !== undefined) {
      const sign = task.metric.direction === "minimize" ? 1 : -1;
      const tolerance = Math.max(1e-9, LIMITS.worseShare * Math.abs(theirs.value));
      if (sign * (mine.value - theirs.value) > tolerance)
        weaknesses.push({
          class: "worse",
          where,
          reason: `${task.metric.name} ${fmt(mine.value)} against the baseline's ${fmt(theirs.value)}`,
        });
    }
  });
  const growth = families(probes).map((f) => familyGrowth(f, probes, program, baseline));
  for (const g of growth) weaknesses.push(...growthWeaknesses(g, probes, program, baseline));
  if (leak) weaknesses.push(...leakWeaknesses(leak));
  return { weaknesses, shared, growth };
}

function families(probes: readonly AuditProbe[]): string[] {
  return [
    ...new Set(probes.flatMap((p) => (p.probe?.kind === "scale" && p.probe.family ? [p.probe.family] : []))),
  ];
}

/** Indices of a family's probes, smallest first. */
function members(family: string, probes: readonly AuditProbe[]): number[] {
  return probes
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.probe?.kind === "scale" && p.probe.family === family)
    .sort((a, b) => (a.p.probe?.size ?? 0) - (b.p.probe?.size ?? 0))
    .map(({ i }) => i);
}

function familyGrowth(
  family: string,
  probes: readonly AuditProbe[],
  program: readonly ProbeRun[],
  baseline: readonly ProbeRun[],
): Growth {
  const idx = members(family, probes);
  const size = (i: number) => probes[i]?.probe?.size ?? 0;
  const fit = (runs: readonly ProbeRun[], key: "cpuMs" | "peakBytes", floor: number) =>
    growthExponent(
      idx
        .filter((i) => runs[i]?.status === "ok" && runs[i]?.[key] !== undefined)
        .map((i) => ({ size: size(i), value: runs[i]?.[key] as number })),
      floor,
    );
  const slowdown = (i: number | undefined) => {
    if (i === undefined) return null;
    const a = program[i]?.cpuMs;
    const b = baseline[i]?.cpuMs;
    if (a === undefined || b === undefined) return null;
    return Math.max(a, LIMITS.cpuFloorMs) / Math.max(b, LIMITS.cpuFloorMs);
  };
  return {
    family,
    sizes: idx.map(size),
    time: {
      program: fit(program, "cpuMs", LIMITS.cpuFloorMs),
      baseline: fit(baseline, "cpuMs", LIMITS.cpuFloorMs),
    },
    memory: { program: fit(program, "peakBytes", 1), baseline: fit(baseline, "peakBytes", 1) },
    slowdown: { smallest: slowdown(idx[0]), largest: slowdown(idx.at(-1)) },
  };
}

function growthWeaknesses(
  g: Growth,
  probes: readonly AuditProbe[],
  program: readonly ProbeRun[],
  baseline: readonly ProbeRun[],
): Weakness[] {
  const out: Weakness[] = [];
  const idx = members(g.family, probes);
  const first = idx[0];
  const last = idx.at(-1);
  if (first === undefined || last === undefined || first === last) return out;
  const { smallest, largest } = g.slowdown;
  const spent = program[last]?.cpuMs ?? 0;
  if (
    smallest !== null &&
    largest !== null &&
    largest > LIMITS.slowRatio &&
    largest > LIMITS.slowRatio * smallest &&
    spent >= LIMITS.slowMinMs &&
    steeper(g.time)
  )
    out.push({
      class: "slow",
      where: g.family,
      reason: `${fmt(largest)}x the baseline's CPU time at size ${g.sizes.at(-1)} (${fmt(smallest)}x at size ${g.sizes[0]}); time grows as n^${fmt(g.time.program)} against n^${fmt(g.time.baseline)}`,
    });
  const peak = (runs: readonly ProbeRun[], i: number) => runs[i]?.peakBytes;
  const [p0, p1, b0, b1] = [
    peak(program, first),
    peak(program, last),
    peak(baseline, first),
    peak(baseline, last),
  ];
  if (p0 && p1 && b0 && b1) {
    const mine = p1 / p0;
    const theirs = b1 / b0;
    if (mine > LIMITS.memoryRatio * theirs && p1 - b1 > LIMITS.memoryMinBytes && steeper(g.memory))
      out.push({
        class: "memory",
        where: g.family,
        reason: `heap grows ${fmt(mine)}x from size ${g.sizes[0]} to ${g.sizes.at(-1)} against the baseline's ${fmt(theirs)}x (${mb(p1)} against ${mb(b1)})`,
      });
  }
  return out;
}

/** The program's fitted exponent clearly above the baseline's: one noisy point moves a fit over 16x by ~0.2. */
function steeper(fit: { program: number | null; baseline: number | null }): boolean {
  return fit.program !== null && fit.baseline !== null && fit.program - fit.baseline >= LIMITS.steeperBy;
}

function leakWeaknesses(leak: LeakProbe): Weakness[] {
  const where = `leak/${leak.workload}`;
  if (typeof leak.program === "string")
    return [{ class: "crash", where, reason: `repeated calls failed: ${firstLine(leak.program)}` }];
  const growth = (kept: number[]) => (kept.at(-1) ?? 0) - (kept[1] ?? kept[0] ?? 0);
  const mine = growth(leak.program);
  const theirs = typeof leak.baseline === "string" ? 0 : Math.max(0, growth(leak.baseline));
  if (mine - theirs > LIMITS.leakBytes && mine > 2 * theirs)
    return [
      {
        class: "memory",
        where,
        reason: `kept heap grows by ${mb(mine)} over ${leak.program.length - 1} further calls on one input (baseline: ${mb(theirs)}): a leak across calls`,
      },
    ];
  return [];
}

export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  return a >= 100
    ? x.toFixed(0)
    : a >= 10
      ? x.toFixed(1)
      : a >= 0.01 || a === 0
        ? x.toFixed(2)
        : x.toPrecision(2);
}

export function ms(x: number | undefined): string {
  return x === undefined ? "-" : `${fmt(x)} ms`;
}

export function mb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 1048576).toFixed(1)} MB`;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
