/**
 * Every child process group this process started and has not seen die: all
 * are killed if the engine exits. SIGKILL and signals of the engine are
 * covered inside the child (bubblewrap's --die-with-parent, the runner's
 * parent watchdog, stdin EOF); this covers process.exit() and a normal end.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const pid of liveGroups) killGroup(pid);
    });
  }
}

/** The group's leader has exited (or was killed): nothing to kill at exit. */
export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}
