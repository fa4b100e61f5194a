import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ComparePage } from "./pages/compare.tsx";
import { ComparisonPage } from "./pages/comparison.tsx";
import { ProgramPage } from "./pages/program.tsx";
import { RunPage } from "./pages/run.tsx";
import { RunsPage } from "./pages/runs.tsx";
import "./style.css";

/** Pages live in the URL's hash, so every page has an address the server never has to know. */
function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash().replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const parts = (path ?? "/").split("/").filter(Boolean).map(decodeURIComponent);
  useEffect(() => window.scrollTo(0, 0), [path]);
  let page = <RunsPage />;
  if (parts[0] === "run" && parts[1] && parts[2] === "program" && parts[3]) {
    page = <ProgramPage key={`${parts[1]}/${parts[3]}`} runId={parts[1]} programId={parts[3]} />;
  } else if (parts[0] === "run" && parts[1]) {
    page = <RunPage key={parts[1]} id={parts[1]} />;
  } else if (parts[0] === "comparison" && parts[1]) {
    page = <ComparisonPage key={parts[1]} id={parts[1]} />;
  } else if (parts[0] === "compare") {
    const ids = (new URLSearchParams(query).get("runs") ?? "").split(",").filter(Boolean);
    page = <ComparePage ids={ids} />;
  }
  return (
    <>
      <header>
        <a href="#/" class="brand">
          adrs
        </a>
        <span class="muted">dashboard</span>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
