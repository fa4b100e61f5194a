/** Full rewrites: the whole new program, taken from a fenced code block of the reply. */
import { EditError } from "./errors.ts";

const CODE_LANGUAGES = new Set([
  "",
  "ts",
  "typescript",
  "tsx",
  "mts",
  "js",
  "javascript",
  "jsx",
  "mjs",
  "cjs",
]);

interface Fenced {
  language: string;
  body: string;
}

function fencedBlocks(reply: string): { closed: Fenced[]; unclosedAt: number | null } {
  const lines = reply.replace(/\r\n/g, "\n").split("\n");
  const closed: Fenced[] = [];
  let open: { fence: string; language: string; from: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (open === null) {
      const m = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (m) open = { fence: m[1] ?? "```", language: (m[2] ?? "").toLowerCase(), from: i + 1 };
      continue;
    }
    const trimmed = line.trim();
    // A closing fence is the same character, at least as long, alone on its line.
    if (trimmed.length >= open.fence.length && trimmed === (open.fence[0] ?? "`").repeat(trimmed.length)) {
      closed.push({ language: open.language, body: lines.slice(open.from, i).join("\n") });
      open = null;
    }
  }
  return { closed, unclosedAt: open ? open.from : null };
}

/**
 * The new program: the largest TypeScript/JavaScript (or untagged) fenced block, without a
 * final newline. Throws EditError when there is none.
 */
export function extractFullRewrite(reply: string): string {
  const { closed, unclosedAt } = fencedBlocks(reply);
  const code = closed.filter((b) => CODE_LANGUAGES.has(b.language) && b.body.trim() !== "");
  if (code.length === 0) {
    if (unclosedAt !== null) {
      throw new EditError(
        `the code block opened at reply line ${unclosedAt} is never closed (was the reply cut off?)`,
      );
    }
    const others = [...new Set(closed.map((b) => b.language))].filter((l) => l !== "");
    const seen = others.length > 0 ? ` (found only ${others.map((l) => "```" + l).join(", ")})` : "";
    throw new EditError(`the reply has no \`\`\`ts code block with the full program${seen}`);
  }
  const largest = code.reduce((a, b) => (b.body.length > a.body.length ? b : a));
  return largest.body;
}
