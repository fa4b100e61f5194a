export { applyEdit, type EditMode, type EditResult } from "./apply.ts";
export {
  BLOCK_END,
  BLOCK_START,
  BlockMarkerError,
  checkEditInBlocks,
  type EvolveBlock,
  findEvolveBlocks,
} from "./blocks.ts";
export { unifiedDiff } from "./diff.ts";
export { EditError } from "./errors.ts";
export { extractFullRewrite } from "./full.ts";
export { applySearchReplace, parseSearchReplace, type SearchReplaceBlock } from "./search-replace.ts";
