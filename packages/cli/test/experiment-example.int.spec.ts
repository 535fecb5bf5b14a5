/** The shipped example experiment (examples/experiment.yaml) runs offline and reports, as its comments say. */
import { join } from "node:path"
import { afterAll, expect, it } from "vitest"
import { REPO, tau, tempDir } from "./tau.ts"

const tmp = tempDir("experiment-example")
afterAll(tmp.dispose)

it("examples/experiment.yaml: 3 cells of 5 tasks × 2 trials, then the report compares the modes", async () => {
  const db = tmp.db()
  const ran = await tau(["experiment", join(REPO, "examples/experiment.yaml"), "--db", db, "--json"], tmp.root)
  expect(ran.code, ran.stderr).toBe(0)
  expect(ran.stderr).toContain("experiment demo-ablation: 3 runs, 30 episodes")
  const report = await tau(["report", "--experiment", "demo-ablation", "--db", db], tmp.root)
  expect(report.code, report.stderr).toBe(0)
  expect(report.stdout).toContain("Mode vs default")
  for (const mode of ["oracle-plan", "no-policy"]) expect(report.stdout).toMatch(new RegExp(`demo\\s+oracle\\s+${mode}\\s+scripted\\s+5\\s`))
})
