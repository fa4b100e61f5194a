/**
 * How alike two programs are, for novelty rejection: the Jaccard similarity
 * of the token shingles of their EVOLVE-BLOCK code (all of it when a program
 * has no blocks). Comments and whitespace do not count, so a child that only
 * reformats or re-comments its parent is a duplicate.
 */
import { findEvolveBlocks, splitLines } from "../edit/blocks.ts";

/** Tokens taken together as one shingle. */
const SHINGLE = 3;

/** The code inside the EVOLVE-BLOCKs (the whole program when it has none or its markers do not pair). */
export function evolvedCode(code: string): string {
  let blocks: ReturnType<typeof findEvolveBlocks>;
  try {
    blocks = findEvolveBlocks(code);
  } catch {
    return code;
  }
  if (blocks.length === 0) return code;
  const lines = splitLines(code);
  return blocks.map((b) => lines.slice(b.startLine, b.endLine - 1).join("\n")).join("\n");
}

/** Identifiers, numbers, strings and operators of code without its comments. */
export function tokens(code: string): string[] {
  const bare = code.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  return (
    bare.match(/[A-Za-z_$][\w$]*|\d[\d_.eE+-]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`|[^\s\w]/g) ?? []
  );
}

/** The set of a program's shingles (its evolved code's consecutive token triples). */
export function shingles(code: string): Set<string> {
  const t = tokens(evolvedCode(code));
  const out = new Set<string>();
  if (t.length < SHINGLE) {
    if (t.length > 0) out.add(t.join(" "));
    return out;
  }
  for (let i = 0; i + SHINGLE <= t.length; i++) out.add(t.slice(i, i + SHINGLE).join(" "));
  return out;
}

/** |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const s of small) if (large.has(s)) common++;
  return common / (a.size + b.size - common);
}
