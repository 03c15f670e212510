/**
 * The verdict per hypothesis, read from a Chaos Toolkit journal.
 *
 * A hypothesis is a probe: those of the steady-state hypothesis (before and after the
 * method) pass when their tolerance was met; those of the method and the rollbacks when
 * they ran without failing. The experiment passes when Chaos Toolkit says "completed", the
 * steady state did not deviate and every hypothesis passed. The same reading as paved's
 * python-service (platform/chaos/verdicts.py) and `paved check`'s evidence rules.
 */

const REJECTED = "HypothesisRejected: ";
const PHASES = ["before", "method", "after", "rollbacks"] as const;

export interface Verdict {
  phase: (typeof PHASES)[number];
  name: string;
  passed: boolean;
  figure: string;
}

export interface Outcome {
  passed: boolean;
  /** Chaos Toolkit's: completed, failed, aborted, interrupted. */
  status: string;
  deviated: boolean;
  verdicts: Verdict[];
}

type Run = {
  activity?: { type?: string; name?: string };
  status?: string;
  tolerance_met?: boolean;
  output?: unknown;
  exception?: string[];
};

type Journal = {
  status?: string;
  deviated?: boolean;
  run?: Run[];
  rollbacks?: Run[];
  steady_states?: Record<string, { probes?: Run[] } | null>;
};

export function readOutcome(journal: Journal): Outcome {
  const verdicts: Verdict[] = [];
  for (const phase of PHASES) {
    const runs =
      phase === "before" || phase === "after"
        ? (journal.steady_states?.[phase]?.probes ?? [])
        : ((phase === "method" ? journal.run : journal.rollbacks) ?? []);
    for (const run of runs) {
      if (run.activity?.type !== "probe") continue;
      const passed = run.status === "succeeded" && run.tolerance_met !== false;
      verdicts.push({ phase, name: run.activity.name ?? "?", passed, figure: figure(run) });
    }
  }
  const status = String(journal.status);
  const deviated = Boolean(journal.deviated);
  const passed = status === "completed" && !deviated && verdicts.every((verdict) => verdict.passed);
  return { passed, status, deviated, verdicts };
}

/** What the probe printed (`{"figure": ...}`), or the last line of the exception Chaos Toolkit
 *  recorded (chaos/hypotheses.py writes the figure of a rejected hypothesis there). */
function figure(run: Run): string {
  const output = run.output as { stdout?: unknown; stderr?: unknown } | null | undefined;
  if (typeof output?.stdout === "string") {
    try {
      const printed = JSON.parse(output.stdout) as { figure?: unknown };
      if (typeof printed.figure === "string") return printed.figure;
    } catch {
      // not a probe of ours: fall through
    }
  }
  const lines = (run.exception ?? []).join("").trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  if (last) return last.includes(REJECTED) ? last.split(REJECTED)[1] ?? last : last;
  return JSON.stringify(output ?? null);
}

export function render(outcome: Outcome, journalPath: string): string {
  const lines = outcome.verdicts.map(
    (v) => `${v.passed ? "PASS" : "FAIL"}  ${v.phase.padEnd(9)} ${v.name} — ${v.figure}`,
  );
  const failed = outcome.verdicts.filter((v) => !v.passed).length;
  const detail = failed ? `${failed} of ${outcome.verdicts.length} hypotheses rejected` : outcome.status;
  lines.push(`chaos experiment ${outcome.passed ? "passed" : "FAILED"} (${detail}); journal: ${journalPath}`);
  return lines.join("\n");
}
