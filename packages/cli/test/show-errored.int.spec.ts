/** `tau show` says why an errored episode ended (issue 14 item 2): the provider's error, stored with its end. */
import { afterAll, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const tmp = tempDir("show-errored")
afterAll(tmp.dispose)

it("an episode whose model server refuses connections: show prints the error, text and JSON", async () => {
  const db = tmp.db()
  // Nothing listens on port 1: every call is refused.
  const args = [
    "run",
    "--domain",
    "demo",
    "--task-ids",
    "renew_loan",
    "--agent",
    "compat:down@http://127.0.0.1:1/v1",
    "--model-retries",
    "0",
    "--db",
    db,
    "--json",
  ]
  const ran = await tau(args, tmp.root)
  const line = jsonLines(ran.stdout)[0]
  expect(line?.termination_reason).toBe("infrastructure_error")
  const shown = await tau(["show", String(line?.episode_id), "--db", db], tmp.root)
  expect(shown.code, shown.stderr).toBe(0)
  expect(shown.stdout).toMatch(/^why it ended: .*(ECONNREFUSED|refused|connect)/im)
  const json = JSON.parse((await tau(["show", String(line?.episode_id), "--db", db, "--json"], tmp.root)).stdout) as { termination_note: string | null }
  expect(json.termination_note).toMatch(/ECONNREFUSED|refused|connect/i)
})
