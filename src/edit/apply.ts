/** One model reply turned into a child program, or the reason it cannot be. */
import { BlockMarkerError, checkEditInBlocks } from "./blocks.ts";
import { unifiedDiff } from "./diff.ts";
import { EditError } from "./errors.ts";
import { extractFullRewrite } from "./full.ts";
import { applySearchReplace, parseSearchReplace } from "./search-replace.ts";

export type EditMode = "diff" | "full";

export type EditResult = { ok: true; code: string; diff: string } | { ok: false; error: string };

/**
 * Apply a reply to the parent: SEARCH/REPLACE blocks in `diff` mode, a whole
 * program in `full` mode. Either way the child must keep everything outside
 * the parent's EVOLVE-BLOCKs and must differ from the parent. Errors are
 * returned, not thrown, and are worded for a repair prompt; only a parent
 * whose own markers are broken throws, since no reply can fix that.
 */
export function applyEdit(parentCode: string, reply: string, mode: EditMode): EditResult {
  let child: string;
  try {
    child =
      mode === "diff"
        ? applySearchReplace(parentCode, parseSearchReplace(reply))
        : sameFinalNewline(parentCode, extractFullRewrite(reply));
  } catch (e) {
    if (e instanceof EditError) return { ok: false, error: e.message };
    throw e;
  }

  let outside: string | null;
  try {
    outside = checkEditInBlocks(parentCode, child);
  } catch (e) {
    if (e instanceof BlockMarkerError) throw new BlockMarkerError(`the parent program: ${e.message}`);
    throw e;
  }
  if (outside !== null) return { ok: false, error: outside };
  if (child === parentCode) return { ok: false, error: "the edit changes nothing" };
  return { ok: true, code: child, diff: unifiedDiff(parentCode, child) };
}

// Models drop or add the final newline at will; following the parent keeps diffs clean.
function sameFinalNewline(parentCode: string, child: string): string {
  const body = child.replace(/\n+$/, "");
  return parentCode.endsWith("\n") ? `${body}\n` : body;
}
