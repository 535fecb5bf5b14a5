/**
 * `tau view`'s API over real HTTP on 127.0.0.1, against a store written by the real CLI: a demo
 * run of two trials, two forks of one of its episodes, and a run of a scripted agent whose
 * messages and tool arguments are hostile HTML. The numbers are checked against what `tau
 * report`, `tau show` and `tau replay --at-turn` say about the same store.
 */
import { request } from "node:http"
import Database from "better-sqlite3"
import { demoBrain, startFakeLlmServer } from "@tau-sim/models/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { BranchComparison, EpisodeDetail, EpisodeListRow, EpisodePage, ForkProgress, RunSummary, TimelineItem, WorldAtTurn } from "@tau-sim/viewer"
import { jsonLines, tau, tempDir } from "./tau.ts"
import { HOSTILE_EMAIL, HOSTILE_RUN, HOSTILE_TEXT, RUN, startView, type ViewServer, writeViewStore } from "./view-server.ts"

const tmp = tempDir("cli-view")
const db = tmp.db()

let view: ViewServer
let episodes: Array<Record<string, unknown>>
let forkId: string
let forkParent: string
let sibling: string

beforeAll(async () => {
  const written = await writeViewStore(tmp.root, db)
  episodes = written.rows
  forkId = written.fork
  forkParent = written.parent
  sibling = written.sibling
  view = await startView(db, tmp.root)
}, 300_000)

afterAll(async () => {
  await view?.stop()
  tmp.dispose()
})

const getJson = async <A = { readonly error: string }>(path: string) => {
  const r = await view.get(path)
  expect(r.headers.get("content-type")).toBe("application/json")
  return { status: r.status, body: (await r.json()) as A }
}
const episodesOf = async (query: string) => (await getJson<EpisodePage>(`/api/episodes?${query}`)).body
type Tool = Extract<TimelineItem, { kind: "tool" }>
type Message = Extract<TimelineItem, { kind: "message" }>

describe("tau view: start and token", () => {
  it("prints its URL with a token first, on 127.0.0.1", () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  })

  it("refuses every API call without the token, or with another", async () => {
    for (const path of ["/api/runs", "/api/episodes", `/api/episodes/${forkId}`, `/api/episodes/${forkId}/world?turn=0`, "/api/facets"]) {
      const none = await fetch(`${view.base}${path}`)
      expect(none.status, path).toBe(401)
      expect(none.headers.get("content-type")).toBe("application/json")
      const wrong = await view.get(path, { "x-tau-token": `${view.token.slice(0, -1)}x` })
      expect(wrong.status, path).toBe(401)
      const cookie = await view.get(path, { cookie: `tau_token_${new URL(view.base).port}=nope` })
      expect(cookie.status, path).toBe(401)
      // The right token under another port's name (or the unported name) is another server's cookie.
      for (const name of ["tau_token", "tau_token_1"]) expect((await view.get(path, { cookie: `${name}=${view.token}` })).status, name).toBe(401)
    }
    expect((await view.get("/api/runs")).status).toBe(200)
  })

  it("sets the token cookie, named for its port, from the printed URL, and the cookie opens the API", async () => {
    const page = await fetch(view.url)
    expect(page.status).toBe(200)
    const setCookie = page.headers.get("set-cookie") ?? ""
    // Browsers send a 127.0.0.1 cookie to every port: the name keeps it this server's.
    expect(setCookie).toMatch(new RegExp(`^tau_token_${new URL(view.base).port}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`))
    const withoutToken = await fetch(`${view.base}/runs/${RUN}`)
    expect(withoutToken.headers.get("set-cookie")).toBeNull()
    const viaCookie = await view.get("/api/runs", { cookie: setCookie.split(";")[0] })
    expect(viaCookie.status).toBe(200)
  })

  it("sends a strict CSP and nosniff with every answer, and refuses writes", async () => {
    for (const path of ["/", `/episodes/${forkId}`, "/api/runs"]) {
      const r = await view.get(path)
      const csp = r.headers.get("content-security-policy") ?? ""
      expect(csp).toContain("default-src 'self'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain("unsafe-inline")
      expect(r.headers.get("x-content-type-options")).toBe("nosniff")
      expect(r.headers.get("referrer-policy")).toBe("no-referrer")
    }
    const post = await fetch(`${view.base}/api/runs`, { method: "POST", headers: { "x-tau-token": view.token } })
    expect(post.status).toBe(405)
  })

  it("refuses a Host header that is not a loopback name or its --host with its port (DNS rebinding), before anything else", async () => {
    const port = new URL(view.base).port
    const withHost = (path: string, host: string) =>
      new Promise<{ status: number; csp: string | undefined; cookie: unknown }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, headers: { host, "x-tau-token": view.token } }, (res) => {
          res.resume()
          res.on("end", () => resolve({ status: res.statusCode ?? 0, csp: String(res.headers["content-security-policy"]), cookie: res.headers["set-cookie"] }))
        })
        req.on("error", reject)
        req.end()
      })
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, "127.0.0.1", `localhost.evil.example:${port}`]) {
      for (const path of ["/api/runs", `/?token=${view.token}`, "/"]) {
        const r = await withHost(path, host)
        expect(r.status, `${host} ${path}`).toBe(403)
        expect(r.csp).toContain("default-src 'self'")
        expect(r.cookie).toBeUndefined()
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
      expect((await withHost("/api/runs", host)).status, host).toBe(200)
  })

  it("answers a malformed %-escape in an episode id with 400 and the security headers", async () => {
    const headersOf = (r: Response) => {
      expect(r.headers.get("content-security-policy")).toContain("default-src 'self'")
      expect(r.headers.get("x-content-type-options")).toBe("nosniff")
      expect(r.headers.get("referrer-policy")).toBe("no-referrer")
    }
    for (const path of ["/api/episodes/%E0%A4%A", "/api/episodes/%zz/world?turn=0", "/api/episodes/%/tree"]) {
      const r = await view.get(path)
      expect(r.status, path).toBe(400)
      headersOf(r)
      expect(((await r.json()) as { error: string }).error, path).toContain("percent-encoding")
    }
    const fork = await fetch(`${view.base}/api/episodes/%zz/fork`, {
      method: "POST",
      body: JSON.stringify({ turn: 0 }),
      headers: { "content-type": "application/json", "x-tau-token": view.token },
    })
    expect(fork.status).toBe(400)
    headersOf(fork)
  })

  it("serves the page for deep links and its assets from the bundle, nothing from elsewhere", async () => {
    const html = await (await view.get(`/episodes/${forkId}`)).text()
    expect(html).toContain('<div id="app"></div>')
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1])
    expect(scripts.length).toBeGreaterThan(0)
    for (const src of scripts) {
      expect(src.startsWith("/assets/"), src).toBe(true)
      const asset = await view.get(src)
      expect(asset.status).toBe(200)
      expect(asset.headers.get("content-type")).toContain("javascript")
    }
    // No inline script for the CSP to forbid.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
  })
})

describe("tau view: runs and episodes", () => {
  it("lists the runs with what tau report says of them", async () => {
    const { body } = await getJson<{ runs: RunSummary[] }>("/api/runs")
    const byId = (id: string) => body.runs.find((r) => r.run_id === id) as RunSummary
    const run = byId(RUN)
    const report = await tau(["report", "--run", RUN, "--format", "json", "--db", db], tmp.root)
    expect(report.code, report.stderr).toBe(0)
    const cell = JSON.parse(report.stdout).cells[0]
    expect(run).toMatchObject({ kind: "run", domain: "demo", mode: "default", agent: "oracle", user: "scripted", episodes: episodes.length, status: "done" })
    expect(run.pass_hat_ks).toEqual(cell.pass_hat_k)
    expect(run.avg_reward as number).toBeCloseTo(cell.avg_reward, 12)
    expect(run.cost).toBe(0)
    const forks = byId(`${RUN}~forks`)
    expect(forks).toMatchObject({ kind: "forks", branches_of: RUN, episodes: 2, agent: null })
    const hostile = byId(HOSTILE_RUN)
    expect(hostile.agent).toMatch(/^scripted:.*hostile-agent\.json$/)
  })

  it("filters, sorts and pages episodes on the server", async () => {
    const ids = (page: EpisodePage) => page.episodes.map((e) => e.episode_id)
    const all = await episodesOf("limit=500")
    expect(all.total).toBe(episodes.length + 3)
    const ofRun = await episodesOf(`run=${RUN}&limit=500`)
    expect(ofRun.total).toBe(episodes.length)
    expect(new Set(ids(ofRun))).toEqual(new Set(episodes.map((e) => e.episode_id)))

    const renew = await episodesOf("task=renew&limit=500")
    expect(renew.total).toBeGreaterThan(0)
    for (const e of renew.episodes) expect(e.task_id).toContain("renew")

    const hostileAgent = all.episodes.find((e) => e.run_id === HOSTILE_RUN)?.agent ?? ""
    expect((await episodesOf(`agent=${encodeURIComponent(hostileAgent)}`)).episodes.map((e) => e.run_id)).toEqual([HOSTILE_RUN])
    // A fork's agent is its own start event's (its run's config names none).
    expect((await episodesOf("agent=oracle&limit=500")).total).toBe(episodes.length + 1)
    expect((await episodesOf("mode=default&limit=500")).total).toBe(all.total)
    expect((await episodesOf("mode=no-user")).total).toBe(0)

    const failed = await episodesOf("reward_max=0.5&limit=500")
    for (const e of failed.episodes) expect(e.reward).toBeLessThanOrEqual(0.5)
    const passed = await episodesOf("reward_min=1&limit=500")
    for (const e of passed.episodes) expect(e.reward).toBeGreaterThanOrEqual(1)
    expect(passed.total + failed.total).toBe(all.episodes.filter((e) => e.reward !== null).length)

    // Tool errors as the episode's end records them, and as `tau show` lists them.
    const withErrors = await episodesOf("tool_errors=yes&limit=500")
    const withoutErrors = await episodesOf("tool_errors=no&limit=500")
    expect(withErrors.total).toBeGreaterThan(0)
    expect(withErrors.total + withoutErrors.total).toBe(all.total)
    for (const e of withErrors.episodes.slice(0, 3)) {
      const shown = jsonLines((await tau(["show", e.episode_id, "--json", "--db", db], tmp.root)).stdout)[0] as {
        messages: Array<{ role: string; error?: boolean }>
      }
      expect(shown.messages.filter((m) => m.role === "tool" && m.error).length).toBe(e.tool_errors)
    }

    const terminations = new Set(all.episodes.map((e) => e.termination_reason))
    for (const t of terminations) {
      const only = await episodesOf(`termination=${t}&limit=500`)
      expect(only.total).toBe(all.episodes.filter((e) => e.termination_reason === t).length)
    }

    const rewards = (await episodesOf("sort=reward&order=desc&limit=500")).episodes.map((e) => e.reward).filter((r) => r !== null)
    expect(rewards).toEqual([...rewards].sort((a, b) => b - a))
    const byTask = await episodesOf("sort=task&limit=500")
    const tasks = byTask.episodes.map((e) => e.task_id)
    expect(tasks).toEqual([...tasks].sort())

    const pages: EpisodeListRow[] = []
    for (let offset = 0; offset < all.total; offset += 7) pages.push(...(await episodesOf(`sort=task&limit=7&offset=${offset}`)).episodes)
    expect(pages.map((e) => e.episode_id)).toEqual(ids(byTask))
  })

  it("answers a bad query with 400 naming the parameter, an unknown episode with 404", async () => {
    const bad = await getJson("/api/episodes?sort=nope")
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain("sort")
    const missing = await getJson("/api/episodes/ep_nope")
    expect(missing.status).toBe(404)
    expect(missing.body.error).toContain("ep_nope")
    const turn = await getJson(`/api/episodes/${forkId}/world?turn=9999`)
    expect(turn.status).toBe(404)
    expect(turn.body.error).toContain("turn 9999")
  })
})

describe("tau view: an episode", () => {
  it("gives the timeline, lineage and branches of a fork", async () => {
    const { body } = await getJson<EpisodeDetail>(`/api/episodes/${forkId}`)
    expect(body.lineage.map((l) => l.episode_id)).toEqual([forkParent, forkId])
    const inherited = body.timeline.filter((i) => i.inherited)
    expect(inherited.length).toBeGreaterThan(0)
    for (const i of inherited) expect(i.stream).toBe(forkParent)
    expect(body.timeline.filter((i) => i.kind === "started").length).toBe(2)
    expect(body.timeline.at(-1)?.kind).toBe("ended")
    const show = jsonLines((await tau(["show", forkId, "--json", "--db", db], tmp.root)).stdout)[0] as { messages: unknown[] }
    expect(body.turns).toBe(show.messages.length)
    expect(body.scores.length).toBeGreaterThan(0)
    expect(body.scores.filter((s) => s.reported).length).toBe(1)
    const branches = await getJson<{ children: EpisodeListRow[] }>(`/api/episodes/${forkParent}/branches`)
    expect(branches.body.children.map((c) => c.episode_id)).toEqual([forkId, sibling])
  })

  it("gives the world at a turn as tau replay --at-turn rebuilds it, and what that turn changed", async () => {
    const { body } = await getJson<EpisodeDetail>(`/api/episodes/${forkParent}`)
    const toolTurns = body.timeline.filter((i): i is Tool => i.kind === "tool" && i.changes > 0 && i.turn !== null)
    expect(toolTurns.length).toBeGreaterThan(0)
    for (const item of toolTurns) {
      const world = (await getJson<WorldAtTurn>(`/api/episodes/${forkParent}/world?turn=${item.turn}`)).body
      expect(world.index).toBe(item.index)
      expect(world.changes.length).toBeGreaterThan(0)
      const replay = jsonLines((await tau(["replay", forkParent, "--at-turn", String(item.turn), "--json", "--db", db], tmp.root)).stdout)[0] as {
        world_changes: Array<{ op: string; path: string; value?: unknown }>
      }
      // Every change since the start, as replay lists it, holds in the viewer's world at that turn.
      for (const change of replay.world_changes) {
        let at: unknown = world.world
        for (const k of change.path.slice(1).split("/")) at = (at as Record<string, unknown> | undefined)?.[k.replaceAll("~1", "/").replaceAll("~0", "~")]
        if (change.op === "remove") expect(at, change.path).toBeUndefined()
        else expect(at, change.path).toEqual(change.value)
      }
      // And this turn's own change is among them.
      for (const c of world.changes) expect(replay.world_changes.map((r) => r.path)).toContain(c.path)
    }
    const message = body.timeline.find((i): i is Message => i.kind === "message" && i.turn !== null && i.tool_calls.length === 0)
    expect((await getJson<WorldAtTurn>(`/api/episodes/${forkParent}/world?turn=${message?.turn}`)).body.changes).toEqual([])
  })

  it("gives the lineage tree from any member of the family", async () => {
    for (const id of [forkParent, forkId, sibling]) {
      const { body } = await getJson<{ nodes: EpisodeListRow[] }>(`/api/episodes/${id}/tree`)
      expect(body.nodes.map((n) => n.episode_id)).toEqual([forkParent, forkId, sibling])
      expect(body.nodes.map((n) => n.parent_episode_id)).toEqual([null, forkParent, forkParent])
    }
    const alone = (await getJson<{ nodes: EpisodeListRow[] }>(`/api/episodes/${episodes[0].episode_id}/tree`)).body
    expect(alone.nodes.map((n) => n.episode_id)).toEqual([episodes[0].episode_id])
  })

  it("compares two branches aligned where they part, with how their worlds and rewards differ", async () => {
    const { body } = await getJson<BranchComparison>(`/api/compare?a=${forkId}&b=${sibling}`)
    const fork = (await getJson<EpisodeDetail>(`/api/episodes/${forkId}`)).body
    const inherited = fork.timeline.filter((i) => i.inherited)
    // Both inherit the same prefix of the parent: the shared events are those rows.
    expect(body.shared.map((i) => [i.stream, i.seq])).toEqual(inherited.map((i) => [i.stream, i.seq]))
    for (const side of [body.a, body.b]) {
      expect(side.timeline[0].kind).toBe("started")
      expect(side.timeline[0].inherited).toBe(false)
    }
    expect(body.a).toMatchObject({ episode_id: forkId, agent: "oracle", reward: 1 })
    expect(body.b.agent).toMatch(/^scripted:.*quitter-agent\.json$/)
    expect(body.b.termination_reason).toBe("agent_stop")
    expect(body.b.reward).toBe(0)
    // The oracle paid the fine and unblocked the card; the quitter did neither.
    expect(body.world_diff.length).toBeGreaterThan(0)
    for (const d of body.world_diff) expect(d.path).toMatch(/^\/agent\/members\/M005\//)
    // A parent against its fork: the shared part is the fork's inherited prefix.
    const withParent = (await getJson<BranchComparison>(`/api/compare?a=${forkParent}&b=${forkId}`)).body
    expect(withParent.shared.length).toBe(inherited.length)
    expect(withParent.world_diff).toEqual([])
    expect((await getJson(`/api/compare?a=${forkId}`)).status).toBe(400)
  })

  it("keeps hostile text as JSON strings, byte for byte", async () => {
    const list = await episodesOf(`run=${HOSTILE_RUN}`)
    const { body } = await getJson<EpisodeDetail>(`/api/episodes/${list.episodes[0].episode_id}`)
    const texts = body.timeline.filter((i): i is Message => i.kind === "message").map((i) => i.text)
    expect(texts).toContain(HOSTILE_TEXT)
    const tool = body.timeline.find((i): i is Tool => i.kind === "tool" && i.name === "find_member_by_email")
    expect(JSON.parse(tool?.arguments ?? "{}").email).toBe(HOSTILE_EMAIL)
  })
})

describe("tau view: live", () => {
  it("sees a run written while it is running, with its episodes' agents and tool errors", async () => {
    const before = await episodesOf("limit=1")
    const run = await tau(
      ["run", "--domain", "demo", "--task-ids", "pay_fines_and_unblock", "--agent", "oracle", "--run-id", "run_late", "--json", "--db", db],
      tmp.root,
    )
    expect(run.code, run.stderr).toBe(0)
    const { body } = await getJson<{ runs: RunSummary[] }>("/api/runs")
    expect(body.runs.find((r) => r.run_id === "run_late")).toMatchObject({ episodes: 1, status: "done", pass_hat_ks: { 1: 1 } })
    const late = await episodesOf("run=run_late")
    expect(late.episodes).toHaveLength(1)
    expect(late.episodes[0]).toMatchObject({ agent: "oracle", user: "scripted", mode: "default", tool_errors: 1 })
    expect((await episodesOf("limit=1")).total).toBe(before.total + 1)
    expect((await episodesOf("run=run_late&tool_errors=yes")).total).toBe(1)
  })
})

describe("tau view: forking from the page", () => {
  const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${view.base}${path}`, { method: "POST", body, headers })
  const json = { "content-type": "application/json" }

  it("refuses a fork without the token header, or not as JSON, or of a turn the episode does not have", async () => {
    const path = `/api/episodes/${forkParent}/fork`
    const body = JSON.stringify({ turn: 4 })
    const before = (await getJson<{ nodes: EpisodeListRow[] }>(`/api/episodes/${forkParent}/tree`)).body.nodes.length
    expect((await post(path, body, json)).status).toBe(403)
    // The cookie alone opens reading, not forking.
    const page = await fetch(view.url)
    const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]
    expect((await post(path, body, { ...json, cookie })).status).toBe(403)
    expect((await post(path, body, { ...json, "x-tau-token": "nope" })).status).toBe(403)
    expect((await post(path, body, { "content-type": "text/plain", "x-tau-token": view.token })).status).toBe(415)
    const notJson = await post(path, "turn=4", { ...json, "x-tau-token": view.token })
    expect(notJson.status).toBe(400)
    const badTurn = await post(path, JSON.stringify({ turn: "four" }), { ...json, "x-tau-token": view.token })
    expect(badTurn.status).toBe(400)
    const tooFar = await post(path, JSON.stringify({ turn: 999 }), { ...json, "x-tau-token": view.token })
    expect(tooFar.status).toBe(422)
    expect(((await tooFar.json()) as { error: string }).error).toMatch(/turn 999/)
    expect((await post("/api/episodes/ep_nope/fork", body, { ...json, "x-tau-token": view.token })).status).toBe(422)
    // A spec that would be read as a flag of `tau fork` (here: its help, or another store).
    for (const spec of ["--help", "-h", " --db=/tmp/other.db"])
      for (const side of ["agent", "user"]) {
        const flag = await post(path, JSON.stringify({ turn: 4, [side]: spec }), { ...json, "x-tau-token": view.token })
        expect(flag.status, `${side} ${spec}`).toBe(400)
        expect(((await flag.json()) as { error: string }).error).toContain("starts with")
      }
    expect((await getJson<{ nodes: EpisodeListRow[] }>(`/api/episodes/${forkParent}/tree`)).body.nodes.length).toBe(before)
  })

  it("refuses a fork body over 4 KB on its content-length before reading it, and stops reading one without a length at the limit", async () => {
    const port = new URL(view.base).port
    // The body is never finished: the answer can only come from the limit, not from the end of the body.
    const unfinished = (headers: Record<string, string>, chunk: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, method: "POST", path: `/api/episodes/${forkParent}/fork`, headers: { ...json, "x-tau-token": view.token, ...headers } },
          (res) => {
            let body = ""
            res.setEncoding("utf8").on("data", (d: string) => (body += d))
            res.on("end", () => {
              answered = true
              resolve({ status: res.statusCode ?? 0, body })
              req.destroy()
            })
          },
        )
        let answered = false
        req.on("error", (e) => answered || reject(e))
        req.write(chunk)
      })
    const declared = await unfinished({ "content-length": "1000000" }, '{"turn": 4')
    expect(declared.status).toBe(413)
    expect(declared.body).toContain("too large")
    const chunked = await unfinished({ "transfer-encoding": "chunked" }, `{"turn": 4, "agent": "${"x".repeat(5000)}`)
    expect(chunked.status).toBe(413)
    // Without the limits no answer ever comes: the test's own timeout is the failure.
  }, 60_000)

  it("forks with tau fork itself, answers once the branch is stored, follows it to its end, and the branch lands in the lineage tree", async () => {
    const answer = await post(`/api/episodes/${forkParent}/fork`, JSON.stringify({ turn: 6, user: "scripted" }), { ...json, "x-tau-token": view.token })
    expect(answer.status).toBe(200)
    const { episode_id: child } = (await answer.json()) as { episode_id: string }
    // Stored when answered (running or already done), so the tree has it at once.
    const tree = (await getJson<{ nodes: EpisodeListRow[] }>(`/api/episodes/${forkParent}/tree`)).body.nodes
    expect(tree.map((n) => n.episode_id)).toContain(child)
    const ended = (await getJson<ForkProgress>(`/api/forks/${child}?wait=end`)).body
    expect(ended).toMatchObject({ episode_id: child, parent_episode_id: forkParent, turn: 6, state: "done", error: null })
    expect(ended.detail?.termination_reason).toBe("user_stop")
    expect((await getJson(`/api/forks/ep_unknown`)).status).toBe(404)
    // The id the viewer names a branch with is never one that exists.
    const again = await tau(["fork", forkParent, "--at-turn", "4", `--episode-id=${child}`, "--db", db], tmp.root)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`an episode ${child} exists already`)
    const shown = jsonLines((await tau(["show", child, "--json", "--db", db], tmp.root)).stdout)[0] as { lineage: Array<{ episode_id: string }>; agent: string }
    expect(shown.lineage.map((l) => l.episode_id)).toEqual([forkParent, child])
    expect(shown.agent).toBe("oracle")
    const detail = (await getJson<EpisodeDetail>(`/api/episodes/${child}`)).body
    expect(detail.timeline.filter((i) => i.inherited).length).toBeGreaterThan(0)
    expect(detail.termination_reason).toBe("user_stop")
  })
})

describe("tau view: costs as the engine reads them", () => {
  it("shows an old cost-0 call whose response says pricing null as unknown, never $0, in the run and the timeline", async () => {
    const llm = await startFakeLlmServer({ brain: demoBrain })
    const legacy = tmp.file("legacy-cost.db")
    try {
      const model = `compat:demo-model@${llm.baseURL}`
      const run = await tau(
        ["run", "--domain", "demo", "--task-ids", "renew_loan", "--agent", model, "--run-id", "run_legacy", "--json", "--db", legacy],
        tmp.root,
      )
      expect(run.code, run.stderr).toBe(0)
      const episode = String(jsonLines(run.stdout)[0].episode_id)
      // As events recorded before unknown costs were representable: cost 0, `pricing: null` in the response.
      const raw = new Database(legacy)
      const changed = raw
        .prepare("UPDATE events SET body = json_set(body, '$.cost', 0) WHERE tag = 'ModelCalled' AND json_type(body, '$.cost') = 'null'")
        .run().changes
      raw.close()
      expect(changed).toBeGreaterThan(0)
      const other = await startView(legacy, tmp.root)
      try {
        const runs = (await (await other.get("/api/runs")).json()) as { runs: RunSummary[] }
        const summary = runs.runs.find((r) => r.run_id === "run_legacy") as RunSummary
        expect(summary).toMatchObject({
          model_calls: changed,
          unpriced_calls: changed,
          cost_text: `unknown (${changed} call${changed === 1 ? "" : "s"} unpriced)`,
        })
        const detail = (await (await other.get(`/api/episodes/${episode}`)).json()) as EpisodeDetail
        const calls = detail.timeline.filter((i): i is Extract<TimelineItem, { kind: "model" }> => i.kind === "model")
        expect(calls.length).toBeGreaterThan(0)
        for (const c of calls) expect({ cost: c.cost, cost_text: c.cost_text }).toEqual({ cost: null, cost_text: "unknown (1 call unpriced)" })
      } finally {
        await other.stop()
      }
    } finally {
      await llm.close()
    }
  }, 120_000)
})

describe("tau view: stopping", () => {
  it("stops on SIGTERM with 143 and no longer answers; SIGINT gives 130", async () => {
    const other = await startView(db, tmp.root)
    expect((await other.get("/api/runs")).status).toBe(200)
    const result = await other.stop("SIGTERM")
    expect(result.code).toBe(143)
    await expect(fetch(`${other.base}/api/runs`)).rejects.toThrow()
    const third = await startView(db, tmp.root)
    expect((await third.stop("SIGINT")).code).toBe(130)
  })

  it("says the port is in use and exits 1", async () => {
    const port = new URL(view.url).port
    const result = await tau(["view", "--db", db, "--port", port], tmp.root)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`tau view cannot listen on 127.0.0.1:${port}: the port is in use`)
    expect(result.stdout).toBe("")
    expect((await view.get("/api/runs")).status).toBe(200)
  })

  it("names a missing store and exits 1", async () => {
    const result = await tau(["view", "--db", tmp.file("none.db"), "--port", "0"], tmp.root)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("no event store at")
    expect(result.stdout).toBe("")
  })
})
