/**
 * One bad row never blocks the store: with event bodies and a score breakdown damaged by raw SQL
 * (a second connection, as a broken disk or a hand edit would), `report`, `export tau2` and
 * `rescore` name every unreadable episode (id, seq, reason), still produce the rest, and exit 3.
 * Unknown run ids are errors naming the id and the store.
 */
import * as fs from "node:fs"
import { PyJson, type PyObject } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { afterAll, beforeAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("store-skip")
afterAll(tmp.dispose)

const RUN = "run_skip"
const TASKS = 10
const db = tmp.db()
let imported = ""
let importedTotal = 0
let nativeIds: string[] = []
/**
 * Damaged episodes: a native one (body not JSON), an imported one (body of an unknown event), one
 * with an unreadable score, and a fork that inherits the native one's damaged prefix.
 */
const bad = { native: { episode: "", seq: 2 }, imported: { episode: "", seq: 1 }, score: { episode: "" }, fork: { episode: "" } }

const reportJson = (out: string) =>
  JSON.parse(out) as { cells: Array<{ episodes: { total: number } }>; skipped: Array<{ episode_id: string; seq: number | null }> }
const episodesIn = (out: string) => reportJson(out).cells.reduce((n, c) => n + c.episodes.total, 0)

beforeAll(async () => {
  const run = await tau(["run", "--domain", "demo", "--agent", "oracle", "--user", "scripted", "--trials", "1", "--run-id", RUN, "--db", db], tmp.root)
  expect(run.code, run.stderr).toBe(0)
  const doc = resultsFromFixtures("perturbed", "mock")
  importedTotal = (doc.simulations as PyObject[]).length
  const file = writeResults(tmp.root, "mock.json", doc)
  const imp = await tau(["import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json"], tmp.root)
  expect(imp.code, imp.stderr).toBe(0)
  imported = String(jsonLines(imp.stdout)[0].run_id)

  // Undamaged, everything exits 0 (so the exit codes below come from the damage).
  expect((await tau(["report", "--run", RUN, "--db", db], tmp.root)).code).toBe(0)
  expect((await tau(["export", "tau2", "--run", imported, "--db", db], tmp.root)).code).toBe(0)

  const native = await storedRun(db, RUN)
  const ext = await storedRun(db, imported)
  nativeIds = native.rows.map((r) => r.episodeId)
  bad.native = { episode: native.rows[3].episodeId, seq: 2 }
  const fork = await tau(["fork", bad.native.episode, "--at-turn", "3", "--agent", "oracle", "--json", "--db", db], tmp.root)
  expect(fork.code, fork.stderr).toBe(0)
  bad.fork = { episode: String(jsonLines(fork.stdout)[0].episode_id) }
  bad.imported = { episode: ext.rows[5].episodeId, seq: 1 }
  bad.score = { episode: native.rows[6].episodeId }
  const raw = new Database(db)
  const edit = raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?")
  expect(edit.run('{"_tag": "MessageSent", "v": 1, "role": "agent", "text": "cut off', bad.native.episode, bad.native.seq).changes).toBe(1)
  expect(edit.run(JSON.stringify({ _tag: "Unheard", v: 1 }), bad.imported.episode, bad.imported.seq).changes).toBe(1)
  expect(raw.prepare("UPDATE scores SET breakdown = '{not json' WHERE episode_id = ?").run(bad.score.episode).changes).toBe(1)
  raw.close()
})

const namesNative = (stderr: string) =>
  expect(stderr).toContain(`${bad.native.episode} (seq ${bad.native.seq}): event ${bad.native.episode}#${bad.native.seq} cannot be read`)
const namesImported = (stderr: string) =>
  expect(stderr).toContain(`${bad.imported.episode} (seq ${bad.imported.seq}): event ${bad.imported.episode}#${bad.imported.seq} cannot be read`)
const namesScore = (stderr: string) =>
  expect(stderr).toMatch(new RegExp(`${bad.score.episode}: breakdown of score \\d+ of episode ${bad.score.episode} cannot be read`))

data.describe("whole-store commands go on past unreadable episodes", () => {
  it("report names the skipped episodes and reports the others", async () => {
    const r = await tau(["report", "--run", RUN, "--format", "json", "--db", db], tmp.root)
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toContain("2 episodes skipped")
    namesNative(r.stderr)
    namesScore(r.stderr)
    expect(episodesIn(r.stdout)).toBe(TASKS - 2)
    expect(reportJson(r.stdout).skipped.map((s) => [s.episode_id, s.seq])).toEqual(
      expect.arrayContaining([
        [bad.native.episode, bad.native.seq],
        [bad.score.episode, null],
      ]),
    )
    const imp = await tau(["report", "--run", imported, "--db", db], tmp.root)
    expect(imp.code).toBe(3)
    namesImported(imp.stderr)
    expect(imp.stdout).toContain("pass^1")
  })

  it("export tau2 names the skipped episode and writes the other simulations", async () => {
    const ext = await tau(["export", "tau2", "--run", imported, "--db", db], tmp.root)
    expect(ext.code, ext.stderr).toBe(3)
    expect(ext.stderr).toContain("1 episode skipped")
    namesImported(ext.stderr)
    expect((PyJson.parse(ext.stdout) as PyObject).simulations).toHaveLength(importedTotal - 1)

    const out = tmp.file("native.json")
    const nat = await tau(["export", "tau2", "--run", RUN, "--out", out, "--db", db], tmp.root)
    expect(nat.code, nat.stderr).toBe(3)
    namesNative(nat.stderr)
    namesScore(nat.stderr)
    expect((PyJson.parse(fs.readFileSync(out, "utf8")) as PyObject).simulations).toHaveLength(TASKS - 2)
    // The file is written a simulation at a time after a header predicted from the episodes' starts, which
    // listed the tasks of the two skipped ones: it is rewritten, and is the whole document's text.
    const whole = await tau(["export", "tau2", "--run", RUN, "--db", db], tmp.root)
    expect(whole.code).toBe(3)
    expect(whole.stdout === fs.readFileSync(out, "utf8"), "the streamed file differs from the whole document").toBe(true)
  })

  it("rescore --run and --all name the skipped episodes and re-score the others", async () => {
    const one = await tau(["rescore", "--run", RUN, "--json", "--db", db], tmp.root)
    expect(one.code, one.stderr).toBe(3)
    namesNative(one.stderr)
    namesScore(one.stderr)
    expect(
      jsonLines(one.stdout)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual(nativeIds.filter((id) => id !== bad.native.episode && id !== bad.score.episode).sort())
    const all = await tau(["rescore", "--all", "--db", db], tmp.root)
    expect(all.code, all.stderr).toBe(3)
    expect(all.stderr).toContain("4 episodes skipped")
    namesNative(all.stderr)
    namesImported(all.stderr)
    namesScore(all.stderr)
    // The fork is unreadable through its parent's damaged prefix, and says so.
    expect(all.stderr).toContain(
      `${bad.fork.episode}: in episode ${bad.native.episode} it branches from: event ${bad.native.episode}#${bad.native.seq} cannot be read`,
    )
    expect(all.stdout).toContain(`${TASKS + importedTotal - 3} episodes re-scored`)
  })

  it("unknown run ids are errors naming the id and the store", async () => {
    for (const args of [
      ["report", "--run", "run_nope"],
      ["export", "tau2", "--run", "run_nope"],
      ["rescore", "--run", "run_nope"],
    ]) {
      const r = await tau([...args, "--db", db], tmp.root)
      expect(r.code, args.join(" ")).toBe(1)
      expect(r.stderr).toContain(`run run_nope not found in ${db}`)
    }
  })
})
