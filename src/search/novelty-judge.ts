/**
 * The novelty judge: a model of role `novelty` shown a candidate and the
 * program of its island it is most alike, asked whether the candidate is
 * meaningfully different. Its reply must begin with a verdict line; anything
 * else is an unclear verdict, which the caller records and does not act on.
 */
import { evolvedCode } from "./novelty.ts";

/** `unclear`: the reply could not be read as a verdict (the reason says why, with the reply). */
export interface Verdict {
  verdict: "same" | "different" | "unclear";
  reason: string;
}

/** The verdict line the reply must begin with. */
const VERDICT_LINE = /^VERDICT: (same|different)$/i;

/** Characters of a reason (or of an unreadable reply) kept in events and screening reasons. */
const KEEP = 300;

export function judgePrompt(
  candidate: { id: string; code: string },
  other: { id: string; code: string },
  similarity: number,
): string {
  return [
    "You judge whether a new candidate program is meaningfully different from a program the search already has.",
    "Only the part of each that evolves is shown. A meaningful difference changes what the code does or how:",
    "an algorithm, a data structure, a heuristic, a rule, or a constant that changes the behaviour. Renaming,",
    "reformatting, re-commenting, reordering independent statements and equivalent rewrites are not.",
    "",
    `## Existing program (${other.id})`,
    "",
    fenced(evolvedCode(other.code)),
    "",
    `## New candidate (${candidate.id})`,
    "",
    fenced(evolvedCode(candidate.code)),
    "",
    `Their token similarity (Jaccard over token triples) is ${similarity.toFixed(3)}.`,
    "Answer with a first line that is exactly `VERDICT: same` (not meaningfully different) or",
    "`VERDICT: different`, then one line with the reason.",
  ].join("\n");
}

/**
 * Reads a reply strictly: its first non-empty line must be `VERDICT: same` or
 * `VERDICT: different` (any case, nothing else on the line); the rest, an
 * optional `REASON:` taken off, is the reason.
 */
export function parseVerdict(reply: string): Verdict {
  const lines = reply.trim().split("\n");
  const first = (lines[0] ?? "").trim();
  const m = VERDICT_LINE.exec(first);
  if (!m) {
    const shown = reply.trim() === "" ? "an empty reply" : `"${oneLine(reply)}"`;
    return {
      verdict: "unclear",
      reason: `the reply does not begin with "VERDICT: same" or "VERDICT: different": ${shown}`,
    };
  }
  const reason = oneLine(
    lines
      .slice(1)
      .join(" ")
      .replace(/^\s*REASON:\s*/i, ""),
  );
  return { verdict: m[1]!.toLowerCase() as "same" | "different", reason: reason || "no reason given" };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > KEEP ? `${flat.slice(0, KEEP)}…` : flat;
}

function fenced(code: string): string {
  const fence = code.includes("```") ? "~~~~" : "```";
  return `${fence}ts\n${code}\n${fence}`;
}
