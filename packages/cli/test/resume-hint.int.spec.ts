/**
 * The command a stopped `tau run` prints to continue carries what this invocation was given and
 * the stored run does not hold: --retry-errors, and on a resume --max-attempts, --data-dir and
 * --domain (a moved data folder or domain). Without them the printed command would continue
 * otherwise (no retries), or not at all (data no longer where the run recorded it).
 */
import { afterAll, expect, it } from "vitest"
import { runWithFault } from "./faults.ts"
import { storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("resume-hint")
afterAll(() => tmp.dispose())

const PROGRESS = /^\s*\[\d+(\/\d+)?\] /

/** The continue command printed on a stop, as arguments (no spaces in the paths here). */
const resumeHint = (stderr: string): string[] => {
  const m = /continue with: tau (.+)$/m.exec(stderr)
  expect(m, `no resume hint in:\n${stderr}`).not.toBeNull()
  return (m as RegExpExecArray)[1].trim().split(/\s+/)
}

it("a stopped run's printed command keeps --retry-errors; a stopped resume's keeps --max-attempts and --data-dir too, and completes the run", async () => {
  const db = tmp.db()
  const dataDir = tmp.root
  const run = ["run", "--domain", "demo", "--trials", "40", "--max-concurrency", "1", "--retry-errors", "--run-id", "R", "--db", db]
  const first = await runWithFault(run, tmp.root, { afterLines: 2, matching: PROGRESS, signals: ["SIGINT"] })
  expect(first.code, first.stderr).toBe(130)
  expect(resumeHint(first.stderr)).toEqual(["run", "--resume", "R", "--db", db, "--retry-errors"])

  const resume = ["run", "--resume", "R", "--db", db, "--retry-errors", "--max-attempts", "4", "--data-dir", dataDir]
  const second = await runWithFault(resume, tmp.root, { afterLines: 2, matching: PROGRESS, signals: ["SIGINT"] })
  expect(second.code, second.stderr).toBe(130)
  expect(resumeHint(second.stderr)).toEqual(resume)

  const finished = await tau(resumeHint(second.stderr), tmp.root)
  expect(finished.code, finished.stderr).toBe(0)
  expect((await storedRun(db, "R")).rows.filter((r) => r.status === "ended")).toHaveLength(400)
})
