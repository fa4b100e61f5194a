/**
 * EVOLVE-BLOCK regions: the parts of a program a model may change.
 *
 * A region opens with a comment line containing `EVOLVE-BLOCK-START` and
 * closes with one containing `EVOLVE-BLOCK-END`, in whatever comment syntax
 * the file uses. A program without markers is evolvable as a whole.
 */

export const BLOCK_START = "EVOLVE-BLOCK-START";
export const BLOCK_END = "EVOLVE-BLOCK-END";

/** One region, as 1-based line numbers of its two marker lines. */
export interface EvolveBlock {
  startLine: number;
  endLine: number;
}

/** Thrown when markers do not pair up; the message names the line. */
export class BlockMarkerError extends Error {
  override name = "BlockMarkerError";
}

// Only comment lines count, so a string literal that mentions a marker is not one.
const COMMENT_START = /^\s*(\/\/|\/\*|\*|#|--|;|%|<!--)/;

export function markerOf(line: string): "start" | "end" | null {
  if (!COMMENT_START.test(line)) return null;
  if (line.includes(BLOCK_START)) return "start";
  if (line.includes(BLOCK_END)) return "end";
  return null;
}

export function splitLines(code: string): string[] {
  return code.split("\n");
}

/** The regions of `code`, in order. Throws BlockMarkerError when markers are nested, unopened or unclosed. */
export function findEvolveBlocks(code: string): EvolveBlock[] {
  const blocks: EvolveBlock[] = [];
  let open: number | null = null;
  splitLines(code).forEach((line, i) => {
    const kind = markerOf(line);
    if (kind === "start") {
      if (open !== null) {
        throw new BlockMarkerError(
          `line ${i + 1}: ${BLOCK_START} inside the block opened at line ${open} (blocks cannot nest)`,
        );
      }
      open = i + 1;
    } else if (kind === "end") {
      if (open === null)
        throw new BlockMarkerError(`line ${i + 1}: ${BLOCK_END} without a matching ${BLOCK_START}`);
      blocks.push({ startLine: open, endLine: i + 1 });
      open = null;
    }
  });
  if (open !== null)
    throw new BlockMarkerError(`line ${open}: ${BLOCK_START} is never closed by ${BLOCK_END}`);
  return blocks;
}

/** Whether a 1-based line lies inside a region (markers excluded). */
export function isInsideBlock(blocks: readonly EvolveBlock[], line: number): boolean {
  return blocks.some((b) => line > b.startLine && line < b.endLine);
}

interface NumberedLine {
  line: number;
  text: string;
}

/**
 * The fixed (non-evolvable) segments: before the first block, between blocks,
 * after the last, each including its marker lines. Blank lines are left out
 * because adding or dropping one outside a block changes nothing that matters,
 * and line ends are trimmed.
 */
function fixedSegments(code: string, blocks: readonly EvolveBlock[]): NumberedLine[][] {
  const lines = splitLines(code);
  const segments: NumberedLine[][] = [];
  let from = 1;
  for (const b of blocks) {
    segments.push(numbered(lines, from, b.startLine));
    from = b.endLine;
  }
  segments.push(numbered(lines, from, lines.length));
  return segments;
}

function numbered(lines: readonly string[], from: number, to: number): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (let n = from; n <= to; n++) {
    const text = (lines[n - 1] ?? "").trimEnd();
    if (text !== "") out.push({ line: n, text });
  }
  return out;
}

export function shorten(text: string, max = 80): string {
  const t = text.trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/**
 * Why `childCode` is not an allowed edit of `parentCode`, or null when it is:
 * every line outside the parent's EVOLVE-BLOCKs (markers included) must be kept.
 * Line numbers in the reason are the parent's, since that is the text the model saw.
 */
export function checkEditInBlocks(parentCode: string, childCode: string): string | null {
  const parentBlocks = findEvolveBlocks(parentCode);
  if (parentBlocks.length === 0) return null;

  let childBlocks: EvolveBlock[];
  try {
    childBlocks = findEvolveBlocks(childCode);
  } catch (e) {
    return `EVOLVE-BLOCK markers are broken in the edited program: ${(e as Error).message}`;
  }
  if (childBlocks.length !== parentBlocks.length) {
    return (
      `the edit changed the EVOLVE-BLOCK markers: the program has ${parentBlocks.length} ` +
      `block(s), the edited one ${childBlocks.length}; keep every marker line as it is`
    );
  }

  const parentSegments = fixedSegments(parentCode, parentBlocks);
  const childSegments = fixedSegments(childCode, childBlocks);
  for (let s = 0; s < parentSegments.length; s++) {
    const p = parentSegments[s] ?? [];
    const c = childSegments[s] ?? [];
    const n = Math.max(p.length, c.length);
    for (let k = 0; k < n; k++) {
      const pl = p[k];
      const cl = c[k];
      if (pl && cl && pl.text === cl.text) continue;
      // One line of lookahead tells a removed or added line from a changed one.
      const removed = pl && (!cl || p[k + 1]?.text === cl.text);
      const added = cl && (!pl || c[k + 1]?.text === pl.text);
      if (pl && removed) return `line ${pl.line} outside EVOLVE-BLOCK removed: \`${shorten(pl.text)}\``;
      if (cl && added) {
        const after = p[k - 1];
        const where = after ? `after line ${after.line}` : `before line ${pl?.line ?? 1}`;
        return `line added outside EVOLVE-BLOCK ${where}: \`${shorten(cl.text)}\``;
      }
      if (pl && cl) {
        return `line ${pl.line} outside EVOLVE-BLOCK changed: \`${shorten(pl.text)}\` became \`${shorten(cl.text)}\``;
      }
    }
  }
  return null;
}
