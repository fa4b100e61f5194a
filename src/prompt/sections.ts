/**
 * The parts of a prompt that come from the run's state: the parent, other
 * programs, failed attempts. Each returns "" when it has nothing to say, so the
 * template drops it.
 */
import type { FailedAttempt, Metrics, Program } from "../core/types.ts";
import { type EvolveBlock, findEvolveBlocks } from "../edit/index.ts";

/** A section a strategy adds to the prompt (feedback on a minibatch, a hint, a note): a heading and Markdown. */
export interface PromptSection {
  title: string;
  body: string;
}

/** Past this, an inspiration is cut down to its EVOLVE-BLOCKs. */
export const PROGRAM_CHARS = 6000;
const FEEDBACK_CHARS = 4000;
const FAILURE_DIFF_CHARS = 2500;
const FAILURE_REASON_CHARS = 600;
const MAX_METRICS = 16;

/** Four significant digits, whole numbers from 1000 up: enough to compare, short to read. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  if (Math.abs(x) >= 1000) return String(Math.round(x));
  return String(Number(x.toPrecision(4)));
}

export function formatMetrics(metrics: Metrics): string {
  const entries = Object.entries(metrics);
  const shown = entries.slice(0, MAX_METRICS).map(([k, v]) => `${k}=${formatNumber(v)}`);
  if (entries.length > MAX_METRICS) shown.push(`(+${entries.length - MAX_METRICS} more)`);
  return shown.join(", ");
}

/** A fenced block whose fence is longer than any backtick run inside, so code with ``` cannot close it early. */
export function fenced(body: string, language: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body.replace(/\n+$/, "")}\n${fence}`;
}

function clip(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const rest = t.slice(max).split("\n").length;
  return `${t.slice(0, max).trimEnd()}\n… (cut, ${rest} more line(s))`;
}

/** The comment opener the program's markers use (`//`, `#`…), for notes inserted into its code. */
function commentPrefix(lines: readonly string[]): string {
  const marker = lines.find((l) => l.includes("EVOLVE-BLOCK-"));
  const prefix = marker?.slice(0, marker.indexOf("EVOLVE-BLOCK-")).trim();
  return prefix ? prefix : "//";
}

/**
 * A program shortened to about `max` characters: first by dropping the code
 * outside its EVOLVE-BLOCKs (the part worth learning from is inside), then by
 * cutting the tail. Omissions are marked with comments.
 */
export function truncateProgram(code: string, max = PROGRAM_CHARS): string {
  if (code.length <= max) return code;
  let lines = code.split("\n");
  const note = commentPrefix(lines);
  let blocks: EvolveBlock[] = [];
  try {
    blocks = findEvolveBlocks(code);
  } catch {
    blocks = [];
  }
  if (blocks.length > 0) {
    const kept: string[] = [];
    let omitted = 0;
    lines.forEach((line, i) => {
      const n = i + 1;
      if (blocks.some((b) => n >= b.startLine && n <= b.endLine)) {
        if (omitted > 0) kept.push(`${note} … ${omitted} line(s) outside the EVOLVE-BLOCK omitted …`);
        omitted = 0;
        kept.push(line);
      } else if (line.trim() !== "" || omitted > 0) omitted++;
    });
    if (omitted > 0) kept.push(`${note} … ${omitted} line(s) outside the EVOLVE-BLOCK omitted …`);
    lines = kept;
    if (kept.join("\n").length <= max) return kept.join("\n");
  }
  const head: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > max) break;
    head.push(line);
    size += line.length + 1;
  }
  head.push(`${note} … ${lines.length - head.length} more line(s) omitted …`);
  return head.join("\n");
}

export function specSection(spec: string): string {
  const s = spec.trim();
  return s === "" ? "" : `# Task\n\n${s}`;
}

export function parentSection(parent: Program): string {
  const parts = [
    `# Current program (${parent.id})`,
    `Score: ${formatNumber(parent.score)} (0 = baseline, 100 = target)`,
  ];
  const metrics = formatMetrics(parent.metrics);
  if (metrics !== "") parts[1] += `\nMetrics: ${metrics}`;
  parts.push(fenced(parent.code, "ts"));
  if (parent.feedback.trim() !== "")
    parts.push(`## Evaluator feedback\n\n${clip(parent.feedback, FEEDBACK_CHARS)}`);
  return parts.join("\n\n");
}

export function inspirationsSection(inspirations: readonly Program[]): string {
  if (inspirations.length === 0) return "";
  const parts = [
    "# Other programs",
    "Programs from the population, for ideas: the first are among the best found so far, the others take " +
      "different approaches. Edit only the current program above.",
  ];
  for (const p of inspirations) {
    const metrics = formatMetrics(p.metrics);
    parts.push(`## Program ${p.id} (score ${formatNumber(p.score)})`);
    if (metrics !== "") parts.push(`Metrics: ${metrics}`);
    parts.push(fenced(truncateProgram(p.code), "ts"));
  }
  return parts.join("\n\n");
}

export function failuresSection(failures: readonly FailedAttempt[]): string {
  if (failures.length === 0) return "";
  const parts = [
    "# Recent failed attempts on the current program",
    "Newest first. Do not repeat them; if you return to one of these ideas, fix what went wrong.",
  ];
  for (const f of failures) {
    const where = f.on ? ` (already tried on ancestor ${f.on})` : "";
    parts.push(`## Attempt ${f.candidateId}${where}\n\nWhy it failed: ${clip(f.reason, FAILURE_REASON_CHARS)}`);
    if (f.diff.trim() !== "") parts.push(fenced(clip(f.diff, FAILURE_DIFF_CHARS), "diff"));
  }
  return parts.join("\n\n");
}

export function secondParentSection(other: Program): string {
  const parts = [
    `# Second parent (${other.id})`,
    `Score: ${formatNumber(other.score)}. Another good program: combine what works in it with the current ` +
      "program. Your edit still applies to the current program above.",
  ];
  const metrics = formatMetrics(other.metrics);
  if (metrics !== "") parts[1] += `\nMetrics: ${metrics}`;
  parts.push(fenced(truncateProgram(other.code), "ts"));
  return parts.join("\n\n");
}

/** The strategy's own sections, each under its heading. */
export function customSections(sections: readonly PromptSection[]): string {
  return sections
    .filter((s) => s.body.trim() !== "")
    .map((s) => `# ${s.title}\n\n${s.body.trim()}`)
    .join("\n\n");
}
