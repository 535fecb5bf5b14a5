/**
 * `tau view --db postgres://…` on a throwaway PostgreSQL (with a password in its URL): the same
 * store written by the same commands into SQLite and into Postgres gives the same runs, filters,
 * pages and lineage; the timeline and the world come from the Postgres log; a fork from the page
 * lands there; a run written while viewing appears; a body Postgres cannot read as JSON (a lone
 * surrogate escape) is read by the viewer instead; the password is in no output.
 */
import { demoBrain, startFakeLlmServer } from "@tau-sim/models/testing"
import { needsPostgres } from "@tau-sim/store-pg/testing"
import type { EpisodeDetail, EpisodeListRow, EpisodePage, Facets, ForkProgress, RunSummary, WorldAtTurn } from "@tau-sim/viewer"
import { afterAll, beforeAll, expect, it } from "vitest"
import { tau, tempDir } from "./tau.ts"
import { HOSTILE_RUN, RUN, startView, type ViewServer, writeViewStore } from "./view-server.ts"

const pg = needsPostgres()
const tmp = tempDir("cli-view-postgres")
afterAll(tmp.dispose)

pg.describe("tau view --db postgres://", () => {
  let url = ""
  let sqlite: ViewServer
  let postgres: ViewServer
  let written: Awaited<ReturnType<typeof writeViewStore>>
  const sqliteDb = tmp.db()

  beforeAll(async () => {
    url = pg.server().createDatabase("tau_view")
    written = await writeViewStore(tmp.root, url)
    await writeViewStore(tmp.root, sqliteDb)
    postgres = await startView(url, tmp.root)
    sqlite = await startView(sqliteDb, tmp.root)
  }, 600_000)

  afterAll(async () => {
    await postgres?.stop()
    await sqlite?.stop()
  })

  const get = async <A>(view: ViewServer, path: string): Promise<A> => {
    const r = await view.get(path)
    expect(r.status, `${path}: ${r.status}`).toBe(200)
    return (await r.json()) as A
  }
  /** What does not depend on the store's own ids and times. */
  const runsOf = async (view: ViewServer) =>
    (await get<{ runs: RunSummary[] }>(view, "/api/runs")).runs.map(({ created_at: _, ...r }) => r).sort((a, b) => a.run_id.localeCompare(b.run_id))
  // Episodes of one run may be written in another order by each store (they run concurrently): compared as sets.
  const rowsOf = (page: EpisodePage) => page.episodes.map(({ episode_id: _, parent_episode_id: __, ...r }) => JSON.stringify(r)).sort()

  it("lists the same runs, filter values and filtered, sorted pages as over SQLite", async () => {
    expect(await runsOf(postgres)).toEqual(await runsOf(sqlite))
    const pgRuns = await runsOf(postgres)
    expect(pgRuns.find((r) => r.run_id === RUN)).toMatchObject({ status: "done", agent: "oracle" })
    expect(await get<Facets>(postgres, "/api/facets")).toEqual(await get<Facets>(sqlite, "/api/facets"))
    for (const query of [
      "limit=500",
      `run=${RUN}&sort=task&order=desc`,
      "tool_errors=yes",
      "tool_errors=no&sort=reward",
      "agent=oracle&mode=default",
      "task=renew&termination=user_stop",
      "reward_max=0.5",
      "scored_by=tau2@1",
      `run=${encodeURIComponent(`${RUN}~forks`)}`,
    ]) {
      const [a, b] = [await get<EpisodePage>(postgres, `/api/episodes?${query}`), await get<EpisodePage>(sqlite, `/api/episodes?${query}`)]
      expect(a.total, query).toBe(b.total)
      expect(rowsOf(a), query).toEqual(rowsOf(b))
    }
    // Sorted on the server, and paged in that order.
    const byTask = await get<EpisodePage>(postgres, `/api/episodes?run=${RUN}&sort=task&order=desc`)
    const tasks = byTask.episodes.map((e) => e.task_id)
    expect(tasks).toEqual([...tasks].sort().reverse())
    const paged = await get<EpisodePage>(postgres, `/api/episodes?run=${RUN}&sort=task&order=desc&limit=3&offset=2`)
    expect(paged.episodes.map((e) => e.episode_id)).toEqual(byTask.episodes.slice(2, 5).map((e) => e.episode_id))
    expect((await get<EpisodePage>(postgres, "/api/episodes?tool_errors=yes")).total).toBeGreaterThan(0)
  })

  it("gives an episode's timeline, the world at a turn and the lineage tree from the Postgres log", async () => {
    const detail = await get<EpisodeDetail>(postgres, `/api/episodes/${written.fork}`)
    expect(detail.lineage.map((l) => l.episode_id)).toEqual([written.parent, written.fork])
    expect(detail.timeline.some((i) => i.inherited)).toBe(true)
    const tool = detail.timeline.find((i) => i.kind === "tool" && i.turn !== null)
    const world = await get<WorldAtTurn>(postgres, `/api/episodes/${written.fork}/world?turn=${tool?.turn}`)
    expect(world.index).toBe(tool?.index)
    const tree = await get<{ nodes: EpisodeListRow[] }>(postgres, `/api/episodes/${written.fork}/tree`)
    expect(tree.nodes.map((n) => n.episode_id)).toEqual([written.parent, written.fork, written.sibling])
    const hostile = await get<EpisodeDetail>(postgres, `/api/episodes/${written.hostile}`)
    expect(hostile.run_id).toBe(HOSTILE_RUN)
  })

  it("forks from the page into Postgres, and sees a run written while it is open", async () => {
    const answer = await fetch(`${postgres.base}/api/episodes/${written.parent}/fork`, {
      method: "POST",
      body: JSON.stringify({ turn: 6 }),
      headers: { "content-type": "application/json", "x-tau-token": postgres.token },
    })
    expect(answer.status).toBe(200)
    const { episode_id: child } = (await answer.json()) as { episode_id: string }
    const ended = await get<ForkProgress>(postgres, `/api/forks/${child}?wait=end`)
    expect(ended).toMatchObject({ state: "done", error: null })
    const tree = await get<{ nodes: EpisodeListRow[] }>(postgres, `/api/episodes/${written.parent}/tree`)
    expect(tree.nodes.map((n) => n.episode_id)).toContain(child)

    const before = (await get<EpisodePage>(postgres, "/api/episodes?limit=1")).total
    const late = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--run-id", "run_late", "--json", "--db", url], tmp.root)
    expect(late.code, late.stderr).toBe(0)
    expect((await get<EpisodePage>(postgres, "/api/episodes?limit=1")).total).toBe(before + 1)
    const lateRows = await get<EpisodePage>(postgres, "/api/episodes?run=run_late&agent=oracle&tool_errors=no")
    expect(lateRows.episodes).toHaveLength(1)
    expect((await runsOf(postgres)).find((r) => r.run_id === "run_late")).toMatchObject({ episodes: 1, status: "done", pass_hat_ks: { 1: 1 } })
  }, 120_000)

  it("reads a start event Postgres cannot read as JSON (a lone surrogate escape) itself", async () => {
    // Behind the store's back, as a raw row could hold it: the user spec of one episode ends in \ud800.
    const target = written.hostile
    pg.server().psql(
      "tau_view",
      `UPDATE events SET body = replace(body, '"user":"scripted"', '"user":"scripted\\ud800"') WHERE episode_id = '${target}' AND seq = 0`,
    )
    const other = await startView(url, tmp.root)
    try {
      const page = await get<EpisodePage>(other, `/api/episodes?run=${HOSTILE_RUN}`)
      // Read (not null), and sent as JSON over HTTP can carry it: the lone surrogate as U+FFFD.
      expect(page.episodes.find((e) => e.episode_id === target)).toMatchObject({ user: "scripted\ufffd", agent: expect.stringMatching(/^scripted:/) })
      expect((await get<Facets>(other, "/api/facets")).agents).toContain("oracle")
    } finally {
      await other.stop()
    }
  }, 60_000)

  it("counts a run's model calls and their cost as over SQLite", async () => {
    const llm = await startFakeLlmServer({ brain: demoBrain })
    try {
      for (const db of [url, sqliteDb]) {
        const run = await tau(
          [
            "run",
            "--domain",
            "demo",
            "--task-ids",
            "renew_loan",
            "--agent",
            `compat:demo-model@${llm.baseURL}`,
            "--price",
            "demo-model=1,2",
            "--run-id",
            "run_model",
            "--json",
            "--db",
            db,
          ],
          tmp.root,
        )
        expect(run.code, run.stderr).toBe(0)
      }
    } finally {
      await llm.close()
    }
    const [a, b] = [(await runsOf(postgres)).find((r) => r.run_id === "run_model"), (await runsOf(sqlite)).find((r) => r.run_id === "run_model")]
    expect(a?.model_calls).toBeGreaterThan(0)
    expect(a?.cost).toBeGreaterThan(0)
    // Summed in another order: equal up to rounding.
    expect(a?.cost).toBeCloseTo(b?.cost ?? 0, 12)
    expect({ ...a, cost: 0 }).toEqual({ ...b, cost: 0 })
  }, 120_000)

  it("never prints the password", async () => {
    const password = pg.server().password
    const results = [await postgres.stop(), await sqlite.stop()]
    for (const r of results) {
      expect(r.stdout).not.toContain(password)
      expect(r.stderr).not.toContain(password)
    }
    expect(results[0].stderr).toContain(`tau view: serving postgres://127.0.0.1:${pg.server().port}/tau_view`)
  })
})
