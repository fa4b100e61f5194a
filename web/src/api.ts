import { useEffect, useRef, useState } from "preact/hooks";
import type { CallRow, CandidateRow, RunEntry, RunPayload, SteerRequest } from "../../src/server/payloads.ts";
import { fromRows } from "../../src/server/rows.ts";

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as T;
}

/** Sends one steering request for a live run; rejects with the server's reason. */
export async function steer(runId: string, request: SteerRequest): Promise<void> {
  const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/steer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!res.ok)
    throw new Error(((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText);
}

/**
 * Follows an event stream, reopening it after an error with whatever `url()`
 * says then (so a run page resumes from the seq it has, not from the start).
 */
export function follow(url: () => string, on: Record<string, (data: unknown) => void>): () => void {
  let source: EventSource | null = null;
  let retry: number | undefined;
  let closed = false;
  const open = () => {
    source = new EventSource(url());
    for (const [event, handle] of Object.entries(on)) {
      source.addEventListener(event, (m) => handle(JSON.parse((m as MessageEvent<string>).data)));
    }
    source.onerror = () => {
      source?.close();
      if (!closed) retry = window.setTimeout(open, 1000);
    };
  };
  open();
  return () => {
    closed = true;
    window.clearTimeout(retry);
    source?.close();
  };
}

/** The runs page's list, kept current by the server's stream. */
export function useRuns(): RunEntry[] | null {
  const [runs, setRuns] = useState<RunEntry[] | null>(null);
  useEffect(
    () => follow(() => "/api/stream", { runs: (d) => setRuns((d as { runs: RunEntry[] }).runs) }),
    [],
  );
  return runs;
}

/** A run page's data: fetched whole once (compressed), then patched by each delta the stream pushes. */
export interface RunData extends Omit<RunPayload, "candidates" | "calls" | "since" | "callsFrom"> {
  candidates: Map<string, CandidateRow>;
  calls: CallRow[];
  /** Bumped on every change, for memoised views. */
  version: number;
}

export function useRun(id: string): { data: RunData | null; error: string | null } {
  const [data, setData] = useState<RunData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current: RunData | null = null;
    let stop: (() => void) | null = null;
    let cancelled = false;
    const apply = (p: RunPayload) => {
      const base: RunData = current ?? {
        ...p,
        candidates: new Map(),
        calls: [],
        version: 0,
      };
      for (const row of fromRows(p.candidates)) base.candidates.set(row.id, row);
      base.calls.length = Math.min(base.calls.length, p.callsFrom);
      for (const call of fromRows(p.calls)) base.calls.push(call);
      current = {
        ...base,
        run: p.run,
        seq: Math.max(base.seq, p.seq),
        config: p.config ?? base.config,
        sessions: p.sessions,
        steering: p.steering,
        version: base.version + 1,
      };
      setData(current);
    };
    getJson<RunPayload>(`/api/runs/${encodeURIComponent(id)}`)
      .then((p) => {
        if (cancelled) return;
        apply(p);
        stop = follow(() => `/api/runs/${encodeURIComponent(id)}/stream?since=${current?.seq ?? 0}`, {
          delta: (d) => apply(d as RunPayload),
        });
      })
      .catch((e: unknown) => setError(String(e instanceof Error ? e.message : e)));
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [id]);
  return { data, error };
}

/**
 * `value`, updated at most every `ms` (and always to the latest one): the
 * costly drawings of a busy run redraw about once a second, while its rows
 * and figures follow every change.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const show = () => {
      last.current = Date.now();
      setShown(value);
    };
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      show();
      return;
    }
    const timer = window.setTimeout(show, wait);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return shown;
}
