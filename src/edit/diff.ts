import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** Unified diff of a child against its parent, "" when they are equal. */
export function unifiedDiff(parentCode: string, childCode: string, name = "program.ts"): string {
  if (parentCode === childCode) return "";
  // The `===` underline the package adds by default is noise in prompts and the dashboard.
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, parentCode, childCode, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
