import { html } from "diff2html";
import "diff2html/bundles/css/diff2html.min.css";
import { useMemo } from "preact/hooks";

/** A unified diff, drawn side by side by diff2html (which escapes the code it shows). */
export function Diff({ diff }: { diff: string }) {
  const markup = useMemo(
    () => html(diff, { outputFormat: "side-by-side", drawFileList: false, matching: "lines" }),
    [diff],
  );
  if (!diff) return <p class="muted">No diff: this is the seed, or it equals its parent.</p>;
  // diff2html's output: it escapes the diff's text itself.
  return <div class="diff" dangerouslySetInnerHTML={{ __html: markup }} />;
}
