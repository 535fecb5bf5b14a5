/**
 * `tau import tau2` is all-or-nothing per episode and resumable: kill -9 at random points, a score
 * the store rejects, an invalid file, and a store left by older versions (episodes without their
 * `tau2-original` score). After every fault the store holds each simulation at most once, whole
 * (events, read model and score); running the import again finishes exactly what is missing.
 *
 * Kill points are what a second connection sees in the store (the run record, N episodes), N
 * from a seeded generator; set TAU_FAULT_SEED to replay a failing sequence.
 */
import type { ChildProcess } from "node:child_process"
import * as path from "node:path"
import { PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { afterAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { fixtureRecords, resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"
import { finished, jsonLines, readStore, seededRandom, spawnTau, type StoredRun, storedRun, tau, type TauResult, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const TAU2_DATA_DIR = data.tau2

const tmp = tempDir("import-atomic")
afterAll(tmp.dispose)

const importArgs = (file: string, db: string) => ["import", "tau2", file, "--data-dir", TAU2_DATA_DIR, "--db", db, "--json"]

interface Summary {
  readonly run_id: string
  readonly simulations: number
  readonly episodes: number
  readonly already_present: number
  readonly scores_repaired: number
}
const summaryOf = (r: TauResult): Summary => jsonLines(r.stdout)[0] as unknown as Summary

const rewardOf = (sim: PyObject): number | null => {
  const info = sim.reward_info as PyObject | null
  return info === null ? null : Number(PyJson.toPlain(info.reward as PyValue))
}

/** Episodes keyed by the simulation id in their `ExternalRecord` (seq 1). */
const bySimulation = (s: StoredRun) => {
  const out = new Map<string, string[]>()
  for (const row of s.rows) {
    const record = s.events[row.episodeId][1]?.event
    const id = record?._tag === "ExternalRecord" ? String((PyJson.parse(record.json) as PyObject).id) : `<no record in ${row.episodeId}>`
    out.set(id, [...(out.get(id) ?? []), row.episodeId])
  }
  return out
}

/**
 * Nothing half-done: every stored episode is a whole stream (EpisodeStarted ... EpisodeEnded, the
 * read model at its version) with exactly one `tau2-original` score, equal to the file's reward.
 * Returns how many simulations are stored.
 */
const expectWhole = (s: StoredRun, doc: PyObject): number => {
  const sims = new Map((doc.simulations as PyObject[]).map((sim) => [String(sim.id), sim]))
  const stored = bySimulation(s)
  for (const [simId, episodes] of stored) {
    const sim = sims.get(simId)
    expect(sim, `stored simulation ${simId} is in the file`).toBeDefined()
    expect(episodes, `episodes of simulation ${simId}`).toHaveLength(1)
    const episodeId = episodes[0]
    const events = s.events[episodeId]
    const row = s.rows.find((r) => r.episodeId === episodeId)
    expect(
      events.map((e) => e.seq),
      `seqs of ${episodeId}`,
    ).toEqual(events.map((_, i) => i))
    expect(events[0].event._tag).toBe("EpisodeStarted")
    expect(events.at(-1)?.event._tag, `last event of ${episodeId}`).toBe("EpisodeEnded")
    expect(row).toMatchObject({ status: "ended", version: events.length })
    const original = s.scores[episodeId].filter((x) => x.evaluator === "tau2-original")
    const reward = rewardOf(sim as PyObject)
    expect(
      original.map((x) => x.reward),
      `tau2-original scores of ${episodeId} (simulation ${simId})`,
    ).toEqual(reward === null ? [] : [reward])
  }
  return stored.size
}

/**
 * A read of the store file through a second connection, as another process sees it; undefined
 * while the import has not created the file or its tables yet.
 */
const peek = <A>(db: string, f: (raw: Database.Database) => A): A | undefined => {
  let raw: Database.Database
  try {
    raw = new Database(db, { fileMustExist: true })
  } catch {
    return undefined
  }
  try {
    return f(raw)
  } catch (e) {
    if (e instanceof Error && /no such table/.test(e.message)) return undefined
    throw e
  } finally {
    raw.close()
  }
}

const visibleEpisodes = (db: string): number => peek(db, (raw) => (raw.prepare("SELECT count(*) AS n FROM episodes").get() as { n: number }).n) ?? 0

/** The run an import created in `db` (each store here holds at most one imported run). */
const importedRunIn = (db: string): string | undefined =>
  peek(db, (raw) => (raw.prepare("SELECT run_id FROM runs WHERE run_id LIKE 'tau2_%'").get() as { run_id: string } | undefined)?.run_id)

/** Kill points, by what the store shows (never by time): the run record, or N episodes. */
type Trigger = { readonly after: "run" } | { readonly after: "episodes"; readonly episodes: number }

const reached = (db: string, trigger: Trigger): boolean => (trigger.after === "run" ? importedRunIn(db) !== undefined : visibleEpisodes(db) >= trigger.episodes)

/** Starts an import and SIGKILLs it once the store shows the trigger (if it is still running then). */
const importAndKill = async (file: string, db: string, trigger: Trigger): Promise<TauResult> => {
  const child: ChildProcess = spawnTau(importArgs(file, db), tmp.root)
  const done = finished(child)
  let exited = false
  void done.then(() => (exited = true))
  // Watch the store through a second connection: the import's commits are what we wait for.
  while (!exited) {
    if (reached(db, trigger)) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return done
}

data.describe("tau import tau2 is atomic per episode and finishes what is missing", () => {
  const doc: PyObject = data.ifPresent(() => resultsFromFixtures("perturbed", "airline"), { simulations: [] })
  const total = (doc.simulations as PyObject[]).length
  const file = data.ifPresent(() => writeResults(tmp.root, "airline.json", doc), "")

  it("survives kill -9 at random points: every simulation once, with one original score", async () => {
    const seed = Number(process.env.TAU_FAULT_SEED ?? Date.now() % 2 ** 31)
    const random = seededRandom(seed)
    const db = tmp.db()
    const log: string[] = []
    let midImport = 0
    const storedNow = async () => {
      const runId = importedRunIn(db)
      const count = runId === undefined ? 0 : expectWhole(await storedRun(db, runId), doc)
      // No episode outside the imported run (episodes never exist without their run record).
      expect(visibleEpisodes(db)).toBe(count)
      return count
    }
    for (let i = 0; i < 8; i++) {
      const before = await storedNow()
      // First right after the run record is written (before or among the first episodes), then
      // at random points of the writes: once some of the first half of what is missing is
      // visible, so the import is still writing when it is killed.
      const trigger: Trigger = i === 0 ? { after: "run" } : { after: "episodes", episodes: before + 1 + Math.floor((random() * (total - before - 1)) / 2) }
      const result = await importAndKill(file, db, trigger)
      if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0)
      const after = await storedNow()
      if (result.signal === "SIGKILL" && after > before && after < total) midImport++
      log.push(`${JSON.stringify(trigger)} -> ${result.signal ?? `exit ${result.code}`}: ${before} -> ${after} of ${total}`)
    }

    const before = await storedNow()
    const final = await tau(importArgs(file, db), tmp.root)
    expect(final.code, final.stderr).toBe(0)
    const summary = summaryOf(final)
    expect(summary).toMatchObject({ simulations: total, episodes: total - before, already_present: before, scores_repaired: 0 })
    expect(expectWhole(await storedRun(db, summary.run_id), doc)).toBe(total)
    console.log(`import kill -9 (TAU_FAULT_SEED=${seed}): ${midImport} kills mid-import\n  ${log.join("\n  ")}`)
    // The kills really hit the import while it was writing.
    expect(midImport).toBeGreaterThan(0)
  })

  it("concurrent imports of one file store every simulation once", async () => {
    // Four importers, retried on a fresh store until at least two of them really interleaved
    // their writes (each stored some episodes); every attempt must be consistent. On a loaded
    // machine one importer can finish before the others open the store, hence several attempts.
    let interleaved = false
    for (let attempt = 0; attempt < 10 && !interleaved; attempt++) {
      const db = tmp.db()
      const results = await Promise.all([0, 1, 2, 3].map(() => tau(importArgs(file, db), tmp.root)))
      for (const r of results) expect(r.code, r.stderr).toBe(0)
      const summaries = results.map(summaryOf)
      expect(summaries.reduce((n, x) => n + x.episodes, 0)).toBe(total)
      for (const x of summaries) expect(x.episodes + x.already_present).toBe(total)
      expect(expectWhole(await storedRun(db, summaries[0].run_id), doc)).toBe(total)
      interleaved = summaries.filter((x) => x.episodes > 0).length >= 2
    }
    expect(interleaved).toBe(true)
  })

  it("a score the store rejects leaves no events of that episode; a re-run finishes", async () => {
    const db = tmp.db()
    const small = resultsFromFixtures(
      "perturbed",
      "mock",
      fixtureRecords("perturbed", "mock").filter((r) => r.reward_info !== null),
    )
    const smallFile = writeResults(tmp.root, "mock-rewarded.json", small)
    const sims = (small.simulations as PyObject[]).length
    // Create the store, then make it reject the 6th score (as a full disk or a broken store would).
    await readStore(db, async () => {})
    const raw = new Database(db)
    raw.exec(`CREATE TRIGGER reject_score BEFORE INSERT ON scores WHEN (SELECT count(*) FROM scores) >= 5
      BEGIN SELECT RAISE(ABORT, 'injected: the store rejects this score'); END`)
    raw.close()

    const failed = await tau(importArgs(smallFile, db), tmp.root)
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toMatch(/simulation \S+ \(episode ep_\w+\) was not stored \(nothing of it was kept\): .*injected: the store rejects this score/)
    const victim = /\(episode (ep_\w+)\)/.exec(failed.stderr)?.[1] as string
    expect(expectWhole(await storedRun(db, importedRunIn(db) as string), small)).toBe(5)
    const raw2 = new Database(db)
    expect(raw2.prepare("SELECT count(*) AS n FROM events WHERE episode_id = ?").get(victim)).toEqual({ n: 0 })
    expect(raw2.prepare("SELECT count(*) AS n FROM episodes WHERE episode_id = ?").get(victim)).toEqual({ n: 0 })
    raw2.exec("DROP TRIGGER reject_score")
    raw2.close()

    const again = await tau(importArgs(smallFile, db), tmp.root)
    expect(again.code, again.stderr).toBe(0)
    expect(summaryOf(again)).toMatchObject({ simulations: sims, episodes: sims - 5, already_present: 5, scores_repaired: 0 })
    expect(expectWhole(await storedRun(db, summaryOf(again).run_id), small)).toBe(sims)
  })

  it("an invalid file (non-finite reward, unknown task) stores nothing and names every simulation at fault", async () => {
    const db = tmp.db()
    const base = resultsFromFixtures("perturbed", "mock")
    const sims = base.simulations as PyObject[]
    const withReward = (sim: PyObject, reward: PyValue): PyObject => ({ ...sim, reward_info: { ...(sim.reward_info as PyObject), reward } })
    const rewarded = sims
      .map((s, i) => [s, i] as const)
      .filter(([s]) => s.reward_info !== null)
      .map(([, i]) => i)
    const [nan, inf, text] = rewarded
    const bad = {
      ...base,
      simulations: sims.map((s, i) =>
        i === nan
          ? withReward(s, PyJson.parse("NaN"))
          : i === inf
            ? withReward(s, PyJson.parse("Infinity"))
            : i === text
              ? withReward(s, "high")
              : i === sims.length - 1
                ? { ...s, task_id: "no_such_task" }
                : s,
      ),
    }
    const badFile = writeResults(tmp.root, "mock-bad.json", bad)
    const result = await tau(importArgs(badFile, db), tmp.root)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("nothing was imported: 4 of")
    expect(result.stderr).toContain(`simulation ${String(sims[nan].id)}: reward_info.reward is NaN, not a finite number`)
    expect(result.stderr).toContain(`simulation ${String(sims[inf].id)}: reward_info.reward is Infinity`)
    expect(result.stderr).toContain(`simulation ${String(sims[text].id)}: reward_info.reward is "high"`)
    expect(result.stderr).toContain(`simulation ${String(sims.at(-1)?.id)} refers to task no_such_task`)
    const raw = new Database(db)
    const count = (table: string) => (raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
    expect([count("runs"), count("episodes"), count("events"), count("scores")]).toEqual([0, 0, 0, 0])
    raw.close()
  })

  it("records the file and the data folder absolute, so the import can be finished from anywhere", async () => {
    const db = tmp.db()
    const relative = path.relative(tmp.root, file)
    const result = await tau(["import", "tau2", relative, "--data-dir", path.relative(tmp.root, TAU2_DATA_DIR), "--db", db, "--json"], tmp.root)
    expect(result.code, result.stderr).toBe(0)
    const config = peek(db, (raw) => JSON.parse((raw.prepare("SELECT config FROM runs").get() as { config: string }).config))
    expect(config).toMatchObject({ kind: "import", file, dataDir: path.resolve(TAU2_DATA_DIR) })
  })

  it("repairs episodes an older version stored without their original score", async () => {
    const db = tmp.db()
    const first = await tau(importArgs(file, db), tmp.root)
    expect(first.code, first.stderr).toBe(0)
    const { run_id } = summaryOf(first)
    // What an import killed between its two writes (before this change) left behind.
    const raw = new Database(db)
    const victims = (
      raw.prepare("SELECT episode_id FROM episodes WHERE run_id = ? ORDER BY rowid LIMIT 3 OFFSET 7").all(run_id) as Array<{ episode_id: string }>
    ).map((r) => r.episode_id)
    for (const id of victims) {
      raw.prepare("DELETE FROM scores WHERE episode_id = ?").run(id)
      raw.prepare("UPDATE episodes SET reward = NULL WHERE episode_id = ?").run(id)
    }
    raw.close()
    const again = await tau(importArgs(file, db), tmp.root)
    expect(again.code, again.stderr).toBe(0)
    expect(summaryOf(again)).toMatchObject({ simulations: total, episodes: 0, already_present: total, scores_repaired: 3 })
    const stored = await storedRun(db, run_id)
    expect(expectWhole(stored, doc)).toBe(total)
    for (const id of victims) expect(stored.rows.find((r) => r.episodeId === id)?.reward).not.toBeNull()
    // And a third run has nothing left to do.
    expect(summaryOf(await tau(importArgs(file, db), tmp.root))).toMatchObject({ episodes: 0, already_present: total, scores_repaired: 0 })
  })
})
