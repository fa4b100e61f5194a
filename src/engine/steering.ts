import { STEERING_EVENTS, type SteeringEvent } from "../core/events.ts";
import type { Program } from "../core/types.ts";
import type { Rng } from "../core/rng.ts";
import type { Selection, Strategy } from "../search/strategy.ts";
import type { Store } from "../store/store.ts";

/** The prompt section the researcher's hints appear under. */
export const HINTS_TITLE = "Hints from the researcher";

/** Steering events read per query. */
const PAGE = 500;

/** Selections drawn again when the strategy picks a vetoed parent, before the best allowed program stands in. */
const VETO_REDRAWS = 8;

/**
 * What the researcher has asked of this run from the dashboard: the steering
 * events another process appended to the store, read before each selection.
 * Hints and vetoes last for the whole run; a pause lasts as long as the
 * session it was made in.
 */
export class Steering {
  paused = false;
  private seq = 0;
  private readonly hints = new Map<string, string>();
  private readonly vetoed = new Set<string>();

  constructor(private readonly store: Pick<Store, "events">) {}

  /** Reads the steering events stored since the last read (one indexed query when there are none). */
  async refresh(): Promise<void> {
    for (;;) {
      const events = await this.store.events(this.seq, PAGE, STEERING_EVENTS);
      for (const e of events) {
        this.apply(e as SteeringEvent);
        this.seq = e.seq;
      }
      if (events.length < PAGE) return;
    }
  }

  /** A new session (start or resume) is not paused, whatever the last one was. */
  startSession(): void {
    this.paused = false;
  }

  isVetoed(id: string | undefined): boolean {
    return id !== undefined && this.vetoed.has(id);
  }

  /** Whether a selection uses a vetoed program as a parent. */
  rejects(selection: Selection): boolean {
    return this.isVetoed(selection.parent.id) || this.isVetoed(selection.directive?.secondParent?.id);
  }

  apply(event: SteeringEvent): void {
    switch (event.type) {
      case "run_paused":
      case "run_continued":
        this.paused = event.type === "run_paused";
        return;
      case "hint_added":
        this.hints.set(event.hintId, event.text);
        return;
      case "hint_withdrawn":
        this.hints.delete(event.hintId);
        return;
      case "program_vetoed":
        this.vetoed.add(event.programId);
        return;
    }
  }

  /**
   * The selection as the researcher wants it: vetoed inspirations left out,
   * and the active hints added to the prompt as one section.
   */
  steer(selection: Selection): Selection {
    const inspirations = selection.inspirations.filter((p) => !this.vetoed.has(p.id));
    if (this.hints.size === 0) return { ...selection, inspirations };
    const hints = { title: HINTS_TITLE, body: [...this.hints.values()].map((h) => `- ${h}`).join("\n") };
    const directive = selection.directive ?? {};
    return {
      ...selection,
      inspirations,
      directive: { ...directive, sections: [...(directive.sections ?? []), hints] },
    };
  }

  /**
   * The strategy's selection, as steering wants it: a vetoed parent is drawn
   * again (a few times, then the best program not vetoed stands in), vetoed
   * inspirations are left out, and the active hints join the prompt.
   */
  select(strategy: Strategy, rng: Rng, programs: Iterable<Program>): Selection | undefined {
    let selection = strategy.select(rng);
    for (let redraw = 0; redraw < VETO_REDRAWS && this.rejects(selection); redraw++) {
      selection = strategy.select(rng);
    }
    const allowed = this.rejects(selection) ? this.fallback(selection, programs) : selection;
    return allowed && this.steer(allowed);
  }

  /**
   * When the strategy keeps choosing vetoed programs (hill-climb from a vetoed
   * best, best-of-n from a vetoed seed), the parent becomes the best program
   * that is not vetoed, made by a plain mutation; undefined if every program is vetoed.
   */
  fallback(selection: Selection, programs: Iterable<Program>): Selection | undefined {
    let best: Program | undefined;
    for (const p of programs) if (!this.vetoed.has(p.id) && (!best || p.score > best.score)) best = p;
    if (!best) return undefined;
    const { secondParent: _, child: __, operation: ___, ...rest } = selection.directive ?? {};
    return { ...selection, parent: best, directive: rest };
  }
}
