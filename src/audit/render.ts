import type { AuditReport, ProbeReport } from "./audit.ts";
import type { ProbeRun } from "./measure.ts";
import { fmt, WEAKNESS_CLASSES } from "./verdict.ts";

/** Weaknesses of one class listed in full up to this many. */
const SHOWN = 4;

/** The audit as text: scores, one line per probe, growth per family, leak, verdicts, weaknesses, summary. */
export function renderAudit(r: AuditReport, names: { program: string; baseline: string }): string {
  const lines: string[] = [`audit ${r.task}: ${names.program} against ${names.baseline}`];
  if (r.compileError !== undefined) {
    lines.push(`the program does not compile:\n${r.compileError}`, `summary: ${r.summary}`);
    return lines.join("\n");
  }
  const probed = (["train", "test"] as const).filter((split) => r.probes.some((p) => p.split === split));
  if (probed.length > 0) lines.push("", "score (0-100)   program  baseline");
  for (const split of probed) {
    const s = r.scores[split];
    lines.push(`  ${split.padEnd(13)} ${pad(fmt(s.program), 8)} ${pad(fmt(s.baseline), 9)}`);
  }
  const metric = `${r.metric.name} (${r.metric.direction === "minimize" ? "lower" : "higher"} is better)`;
  lines.push(
    "",
    `probe${" ".repeat(31)}program: status ${metric}, CPU ms, peak MB, same twice | baseline: the same`,
  );
  for (const p of r.probes) lines.push(probeLine(p));
  if (r.growth.length > 0) {
    lines.push(
      "",
      "growth with size (fitted exponent k of n^k)  time: program / baseline   heap: program / baseline   slowdown smallest → largest",
    );
    for (const g of r.growth) {
      const sizes = `${g.sizes[0]}…${g.sizes.at(-1)}`;
      lines.push(
        `  ${g.family.padEnd(14)} ${sizes.padEnd(12)} time ${fmt(g.time.program)} / ${fmt(g.time.baseline)}   heap ${fmt(g.memory.program)} / ${fmt(g.memory.baseline)}   ${times(g.slowdown.smallest)} → ${times(g.slowdown.largest)}`,
      );
    }
  }
  if (r.leak) {
    const grew = (kept: number[] | string) =>
      typeof kept === "string" ? `failed (${kept.split("\n")[0]})` : `${mbDelta(kept)}`;
    lines.push(
      "",
      `leak: kept heap over ${typeof r.leak.program === "string" ? "" : r.leak.program.length} calls on ${r.leak.workload}: program ${grew(r.leak.program)}, baseline ${grew(r.leak.baseline)}`,
    );
  }
  lines.push(
    "",
    `verdicts: ${WEAKNESS_CLASSES.map((c) => `${c} ${r.verdicts[c] === "fail" ? "FAIL" : "pass"}`).join(" · ")}`,
  );
  if (r.weaknesses.length > 0) {
    lines.push("weaknesses:");
    for (const c of WEAKNESS_CLASSES) {
      const found = r.weaknesses.filter((w) => w.class === c);
      for (const w of found.slice(0, SHOWN)) lines.push(`  ${w.class.padEnd(16)} ${w.where}: ${w.reason}`);
      if (found.length > SHOWN)
        lines.push(`  ${c.padEnd(16)} … and ${found.length - SHOWN} more probes (--json lists them)`);
    }
  }
  if (r.shared.length > 0) {
    lines.push("failing like the baseline (not counted):");
    for (const s of r.shared) lines.push(`  ${s.where}: ${s.reason}`);
  }
  lines.push(`summary: ${r.summary}`);
  return lines.join("\n");
}

function probeLine(p: ProbeReport): string {
  const label = `${p.split}/${p.workload}`;
  const name = label.length > 35 ? `${label.slice(0, 34)}…` : label.padEnd(35);
  const what = p.what ? `  ${p.kind}: ${p.what}` : "";
  return `  ${name} ${run(p.program)} | ${run(p.baseline)}${what}`;
}

function run(r: ProbeRun): string {
  const status = r.status === "ok" ? fmt(r.value) : r.status.toUpperCase();
  const det = r.deterministic === null ? "-" : r.deterministic ? "yes" : "NO";
  const peak = r.peakBytes === undefined ? "-" : (r.peakBytes / 1048576).toFixed(1);
  return `${pad(status, 9)} ${pad(fmt(r.cpuMs), 7)} ${pad(peak, 6)} ${pad(det, 3)}`;
}

function times(x: number | null): string {
  return x === null ? "-" : `${fmt(x)}x`;
}

function mbDelta(kept: number[]): string {
  const grew = (kept.at(-1) ?? 0) - (kept[1] ?? kept[0] ?? 0);
  return `${grew >= 0 ? "+" : ""}${(grew / 1048576).toFixed(2)} MB`;
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}
