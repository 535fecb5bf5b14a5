/**
 * A store written before specs were redacted can hold a live credential in a participant spec.
 * Reports (stdout and --out, every format) must still never print it.
 */
import { readFileSync } from "node:fs"
import Database from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { tau, tempDir } from "./tau.ts"

const tmp = tempDir("secrets-legacy")
afterAll(() => tmp.dispose())

const SECRET = "s3cretLegacyPass"
const LEGACY_SPEC = `compat:demo@http://user:${SECRET}@127.0.0.1:9/v1?api-key=${SECRET}`

describe("a legacy store with a credential inside a stored spec", () => {
  it("report prints the spec redacted, to stdout and to --out, in every format", async () => {
    const db = tmp.db()
    const run = await tau(["run", "--domain", "demo", "--trials", "1", "--num-tasks", "2", "--run-id", "legacy", "--db", db], tmp.root)
    expect(run.code, run.stderr).toBe(0)
    // Make it look like an old store: the live spec inside the start events (the run's label comes from them).
    const raw = new Database(db)
    const changed = raw.prepare(`UPDATE events SET body = json_set(body, '$.agent', ?) WHERE tag = 'EpisodeStarted'`).run(LEGACY_SPEC).changes
    raw.close()
    expect(changed).toBe(2)
    for (const format of ["table", "md", "json", "html"]) {
      const out = tmp.file(`report.${format}`)
      const printed = await tau(["report", "--run", "legacy", "--format", format, "--db", db], tmp.root)
      const written = await tau(["report", "--run", "legacy", "--format", format, "--out", out, "--db", db], tmp.root)
      expect(printed.code, printed.stderr).toBe(0)
      expect(written.code, written.stderr).toBe(0)
      // The spec is shown (so the check is not vacuous), with its credentials masked.
      expect(printed.stdout).toContain("127.0.0.1:9")
      for (const text of [printed.stdout, printed.stderr, written.stderr, readFileSync(out, "utf8")]) expect(text).not.toContain(SECRET)
    }
  })
})
