/**
 * SEARCH/REPLACE blocks: parsing them out of a model reply and applying them
 * to a program, exactly when possible and tolerantly (indentation, trailing
 * whitespace, blank lines) when the model's copy of the code drifted.
 */
import { type EvolveBlock, findEvolveBlocks, isInsideBlock, shorten, splitLines } from "./blocks.ts";
import { EditError } from "./errors.ts";

export interface SearchReplaceBlock {
  search: string;
  replace: string;
  /** 1-based line of the `<<<<<<< SEARCH` marker in the reply. */
  line: number;
}

const SEARCH_MARK = /^\s*<{5,9}\s*SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE_MARK = /^\s*>{5,9}\s*REPLACE\s*$/;
const FENCE = /^\s*(`{3,}|~{3,})[\w+-]*\s*$/;

/** The blocks of a reply, in order. Throws EditError when there are none or one is malformed. */
export function parseSearchReplace(reply: string): SearchReplaceBlock[] {
  const lines = reply.replace(/\r\n/g, "\n").split("\n");
  const blocks: SearchReplaceBlock[] = [];
  let state: "out" | "search" | "replace" = "out";
  let search: string[] = [];
  let replace: string[] = [];
  let start = 0;

  lines.forEach((line, i) => {
    const n = blocks.length + 1;
    if (state === "out") {
      if (SEARCH_MARK.test(line)) {
        state = "search";
        search = [];
        replace = [];
        start = i + 1;
      }
    } else if (state === "search") {
      if (DIVIDER.test(line)) state = "replace";
      else if (SEARCH_MARK.test(line) || REPLACE_MARK.test(line)) {
        throw new EditError(
          `SEARCH block ${n} (reply line ${start}) has no ======= line between SEARCH and REPLACE`,
        );
      } else search.push(line);
    } else if (REPLACE_MARK.test(line)) {
      blocks.push(finishBlock(n, start, search, replace));
      state = "out";
    } else if (SEARCH_MARK.test(line)) {
      throw new EditError(`SEARCH block ${n} (reply line ${start}) is not closed by >>>>>>> REPLACE`);
    } else replace.push(line);
  });

  if (state !== "out") {
    throw new EditError(
      `SEARCH block ${blocks.length + 1} (reply line ${start}) is not closed by >>>>>>> REPLACE ` +
        "(was the reply cut off?)",
    );
  }
  if (blocks.length === 0) {
    throw new EditError(
      "the reply has no SEARCH/REPLACE blocks (expected <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE)",
    );
  }
  return blocks;
}

function finishBlock(n: number, line: number, search: string[], replace: string[]): SearchReplaceBlock {
  const s = stripFences(search);
  if (s.every((l) => l.trim() === "")) {
    throw new EditError(`SEARCH block ${n} is empty: copy the lines to change from the current program`);
  }
  return { search: s.join("\n"), replace: stripFences(replace).join("\n"), line };
}

// Some models wrap each half of a block in its own code fence.
function stripFences(lines: string[]): string[] {
  let from = 0;
  let to = lines.length;
  if (to > from && FENCE.test(lines[from] ?? "")) from++;
  if (to > from && FENCE.test(lines[to - 1] ?? "")) to--;
  return lines.slice(from, to);
}

/** Apply blocks in order, each to the result of the previous. Throws EditError naming the block that matches nowhere. */
export function applySearchReplace(code: string, blocks: readonly SearchReplaceBlock[]): string {
  let current = code;
  blocks.forEach((block, i) => {
    current = applyOne(current, block, i + 1);
  });
  return current;
}

function applyOne(code: string, block: SearchReplaceBlock, n: number): string {
  if (block.search.trim() === "") throw new EditError(`SEARCH block ${n} is empty`);
  const regions = safeBlocks(code);
  const exact = bestExactMatch(code, block.search, regions);
  // A whole-line exact match is the surest; a mid-line one only wins when no line match exists.
  if (exact?.aligned) return replaceExact(code, exact, block);
  const tolerant = bestLineMatch(code, block.search, regions);
  if (tolerant) return replaceLines(code, tolerant, block.replace);
  if (exact) return replaceExact(code, exact, block);
  throw new EditError(notFoundMessage(code, block.search, n));
}

function safeBlocks(code: string): EvolveBlock[] {
  try {
    return findEvolveBlocks(code);
  } catch {
    // An earlier block may have broken the markers; the final check reports that.
    return [];
  }
}

interface ExactMatch {
  index: number;
  /** The match covers whole lines (up to trailing whitespace). */
  aligned: boolean;
}

function bestExactMatch(code: string, search: string, regions: readonly EvolveBlock[]): ExactMatch | null {
  let best: ExactMatch | null = null;
  let bestRank = -1;
  for (let i = code.indexOf(search); i !== -1; i = code.indexOf(search, i + 1)) {
    const lineStart = code.lastIndexOf("\n", i - 1) + 1;
    const endIndex = i + search.length;
    const lineEnd = code.indexOf("\n", endIndex);
    // Only a match from the start of a line counts as whole lines: one that starts after
    // some indentation must go through the line match, which fixes up the replacement's indentation.
    const aligned =
      lineStart === i && code.slice(endIndex, lineEnd === -1 ? undefined : lineEnd).trim() === "";
    const firstLine = lineNumberAt(code, i);
    const lastLine = firstLine + countNewlines(search);
    const inside = isInsideBlock(regions, firstLine) && isInsideBlock(regions, lastLine);
    const rank = (inside ? 2 : 0) + (aligned ? 1 : 0);
    if (rank > bestRank) {
      best = { index: i, aligned };
      bestRank = rank;
    }
  }
  return best;
}

function lineNumberAt(code: string, index: number): number {
  return countNewlines(code.slice(0, index)) + 1;
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === "\n") n++;
  return n;
}

function replaceExact(code: string, match: ExactMatch, block: SearchReplaceBlock): string {
  const end = match.index + block.search.length;
  if (block.replace === "" && match.aligned) {
    // Deleting whole lines should not leave an empty line behind.
    const lineStart = code.lastIndexOf("\n", match.index - 1) + 1;
    const lineEnd = code.indexOf("\n", end);
    return code.slice(0, lineStart) + (lineEnd === -1 ? "" : code.slice(lineEnd + 1));
  }
  return code.slice(0, match.index) + block.replace + code.slice(end);
}

interface LineMatch {
  /** 0-based, inclusive file line range. */
  start: number;
  end: number;
  /** Matched pairs of (search line, file line), blank lines left out. */
  pairs: Array<[string, string]>;
}

interface Progress {
  matched: number;
  start: number;
}

/** Line-by-line match ignoring indentation, trailing whitespace and blank lines. */
function scanLines(
  fileLines: readonly string[],
  search: string,
): { matches: LineMatch[]; progress: Progress; wanted: string[] } {
  const wanted = search.split("\n").filter((l) => l.trim() !== "");
  const keys = wanted.map((l) => l.trim());
  const matches: LineMatch[] = [];
  const progress: Progress = { matched: 0, start: -1 };
  for (let i = 0; i < fileLines.length; i++) {
    if ((fileLines[i] ?? "").trim() !== keys[0]) continue;
    const pairs: Array<[string, string]> = [];
    let j = i;
    let k = 0;
    let last = i;
    while (k < keys.length && j < fileLines.length) {
      const line = fileLines[j] ?? "";
      if (line.trim() === "") {
        j++;
        continue;
      }
      if (line.trim() !== keys[k]) break;
      pairs.push([wanted[k] ?? "", line]);
      last = j;
      k++;
      j++;
    }
    if (k === keys.length) matches.push({ start: i, end: last, pairs });
    else if (k > progress.matched) {
      progress.matched = k;
      progress.start = i;
    }
  }
  return { matches, progress, wanted };
}

function bestLineMatch(code: string, search: string, regions: readonly EvolveBlock[]): LineMatch | null {
  const { matches } = scanLines(splitLines(code), search);
  return (
    matches.find((m) => isInsideBlock(regions, m.start + 1) && isInsideBlock(regions, m.end + 1)) ??
    matches[0] ??
    null
  );
}

function replaceLines(code: string, match: LineMatch, replace: string): string {
  const fileLines = splitLines(code);
  const replaceLines = replace === "" ? [] : replace.split("\n");
  const reindent = reindenter(match.pairs, replaceLines, fileLines);
  const replacement = replaceLines.map(reindent);
  return [...fileLines.slice(0, match.start), ...replacement, ...fileLines.slice(match.end + 1)].join("\n");
}

const TAB_WIDTH = 4;

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? "";
}

function widthOf(indent: string): number {
  let w = 0;
  for (const ch of indent) w += ch === "\t" ? TAB_WIDTH : 1;
  return w;
}

/** The most common step between the indentation of consecutive lines: 2, 4, a tab… */
function indentUnit(lines: readonly string[]): number | null {
  const counts = new Map<number, number>();
  let previous: number | null = null;
  for (const line of lines) {
    const trimmed = line.trim();
    // Block-comment continuation lines (` * …`) sit one column off the code.
    if (trimmed === "" || trimmed.startsWith("*")) continue;
    const w = widthOf(indentOf(line));
    if (previous !== null && w !== previous) {
      const step = Math.abs(w - previous);
      counts.set(step, (counts.get(step) ?? 0) + 1);
    }
    previous = w;
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== null && step < best)) {
      best = step;
      bestCount = count;
    }
  }
  return best;
}

function usesTabs(lines: readonly string[]): boolean {
  let tabs = 0;
  let spaces = 0;
  for (const line of lines) {
    if (line.startsWith("\t")) tabs++;
    else if (line.startsWith(" ") && !line.trim().startsWith("*")) spaces++;
  }
  return tabs > spaces;
}

/**
 * Maps the indentation of replacement lines (written like the search text)
 * onto the file's. Indents seen in the matched pairs map as they matched;
 * others follow a linear fit: file width = offset + ratio × search width, the
 * ratio coming from the pairs or, when they are all at one depth, from the
 * indentation units of both sides (a 2-space reply against a 4-space file).
 */
function reindenter(
  pairs: ReadonlyArray<[string, string]>,
  replaceLines: readonly string[],
  fileLines: readonly string[],
): (line: string) => string {
  const known = new Map<string, string>();
  for (const [s, f] of pairs) {
    const si = indentOf(s);
    if (!known.has(si)) known.set(si, indentOf(f));
  }
  const widths = pairs.map(([s, f]) => ({ s: widthOf(indentOf(s)), f: widthOf(indentOf(f)) }));
  const low = widths.reduce((a, b) => (b.s < a.s ? b : a), widths[0] ?? { s: 0, f: 0 });
  const high = widths.reduce((a, b) => (b.s > a.s ? b : a), low);
  let ratio = 1;
  if (high.s !== low.s) ratio = (high.f - low.f) / (high.s - low.s);
  else {
    const searchUnit = indentUnit([...pairs.map(([s]) => s), ...replaceLines]);
    const fileUnit = indentUnit(fileLines);
    if (searchUnit && fileUnit) ratio = fileUnit / searchUnit;
  }
  if (!(ratio > 0) || !Number.isFinite(ratio)) ratio = 1;
  const offset = low.f - ratio * low.s;
  const tabs = usesTabs(fileLines);

  return (line) => {
    if (line.trim() === "") return "";
    const indent = indentOf(line);
    const body = line.slice(indent.length).trimEnd();
    const mapped = known.get(indent);
    if (mapped !== undefined) return mapped + body;
    const width = Math.max(0, Math.round(offset + ratio * widthOf(indent)));
    const rendered = tabs
      ? "\t".repeat(Math.floor(width / TAB_WIDTH)) + " ".repeat(width % TAB_WIDTH)
      : " ".repeat(width);
    return rendered + body;
  };
}

function notFoundMessage(code: string, search: string, n: number): string {
  const fileLines = splitLines(code);
  const { progress, wanted } = scanLines(fileLines, search);
  const first = (wanted[0] ?? "").trim();
  let message = `SEARCH block ${n} not found: "${shorten(first)}"`;
  if (progress.matched > 0) {
    const missing = (wanted[progress.matched] ?? "").trim();
    message +=
      `; its first ${progress.matched} line(s) match from line ${progress.start + 1}, ` +
      `but then "${shorten(missing)}" does not follow`;
    return message + closestHint(fileLines, missing);
  }
  return message + closestHint(fileLines, first);
}

function closestHint(fileLines: readonly string[], wanted: string): string {
  let best = -1;
  let bestScore = 0;
  fileLines.forEach((line, i) => {
    const score = similarity(line.trim(), wanted);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  // Below this, the "closest" line is unrelated and would only mislead.
  if (best === -1 || bestScore < 0.5) return "";
  return `; the closest line in the program is line ${best + 1}: "${shorten(fileLines[best] ?? "")}"`;
}

/** 1 − normalised edit distance, on at most 200 characters of each. */
function similarity(a: string, b: string): number {
  const x = a.slice(0, 200);
  const y = b.slice(0, 200);
  const longest = Math.max(x.length, y.length);
  if (longest === 0) return 0;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = row;
  }
  return 1 - (previous[y.length] ?? longest) / longest;
}
