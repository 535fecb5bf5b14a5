/**
 * A domain of one's own, through the real CLI: `tau domain init` scaffolds it in a temporary
 * folder, `tau domain test` runs its tests, the oracle and the scripted user solve its tasks,
 * its episodes replay, verify and fork, and a change to its code is a `data-changed` finding.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { jsonLines, tau, tempDir } from "./tau.ts"

const tmp = tempDir("domain-sdk")
afterAll(tmp.dispose)
const dir = path.join(tmp.root, "plant-shop")
const db = tmp.db()
let episodes: Array<Record<string, unknown>> = []

beforeAll(async () => {
  const init = await tau(["domain", "init", "./plant-shop"], tmp.root)
  expect(init.stderr).toBe("")
  expect(init.code).toBe(0)
  const run = await tau(["run", "--domain", "./plant-shop", "--agent", "oracle", "--user", "scripted", "--trials", "2", "--json", "--db", db], tmp.root)
  expect(run.stderr).not.toContain("error:")
  expect(run.code).toBe(0)
  episodes = jsonLines(run.stdout)
})

describe("a domain scaffolded by tau domain init", () => {
  it("is a folder with the domain, its tools and its tests", () => {
    expect(fs.readdirSync(dir).sort()).toEqual(["README.md", "index.ts", "package.json", "test", "tools.ts"])
    expect(fs.readFileSync(path.join(dir, "index.ts"), "utf8")).toContain('name: "plant-shop"')
  })

  it("passes its own tests (tau domain test), and a broken test fails the command", async () => {
    const ok = await tau(["domain", "test", dir], tmp.root)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/pass 3/)
    const copy = path.join(tmp.root, "broken-tests")
    fs.cpSync(dir, copy, { recursive: true })
    const testFile = path.join(copy, "test", "domain.test.ts")
    fs.writeFileSync(testFile, fs.readFileSync(testFile, "utf8").replace("Error: Order O2 is shipped, not placed", "Error: something else"))
    const failed = await tau(["domain", "test", copy], tmp.root)
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/fail 1/)
    expect(failed.stderr).toContain(`error: the tests of the domain in ${copy} failed`)
  })

  it("runs: the oracle and the scripted user solve every task (reward 1.0), recorded under its absolute path", () => {
    expect(episodes).toHaveLength(4)
    expect(episodes.map((e) => e.reward)).toEqual([1, 1, 1, 1])
    expect(new Set(episodes.map((e) => e.task_id))).toEqual(new Set(["cancel_placed_order", "shipped_cannot_cancel"]))
  })

  it("replays and verifies, and forks", async () => {
    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.stdout).toContain("4 episodes replayed, 4 verified, 0 with findings")
    expect(verify.code).toBe(0)
    const fork = await tau(["fork", String(episodes[0].episode_id), "--at-turn", "2", "--db", db, "--json"], tmp.root)
    expect(fork.stderr).not.toContain("error:")
    expect(fork.code).toBe(0)
    const show = await tau(["show", String(episodes[0].episode_id), "--db", db], tmp.root)
    expect(show.stdout).toMatch(/forks: ep_/)
    const again = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(again.stdout).toContain("5 episodes replayed, 5 verified, 0 with findings")
  })

  it("a bare name never loads a folder: --domain plant-shop is an unknown domain that names the path form", async () => {
    const r = await tau(["tasks", "--domain", "plant-shop"], tmp.root)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'error: unknown domain "plant-shop" (known: demo, mock, airline, retail, telecom); a domain of your own is given by its path (./plant-shop)',
    )
  })

  it("a module that exports no domain, or an inconsistent one, is an error that says so", async () => {
    const none = path.join(tmp.root, "not-a-domain")
    fs.mkdirSync(none)
    fs.writeFileSync(path.join(none, "index.ts"), "export const answer: number = 42\n")
    const r = await tau(["tasks", "--domain", none], tmp.root)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${none}/index.ts does not export a domain (export default defineDomain({ ... }) from "@tau-sim/engine/sdk")`)
    const bad = path.join(tmp.root, "bad-task")
    fs.cpSync(dir, bad, { recursive: true })
    const index = path.join(bad, "index.ts")
    fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace('name: "cancel_order", arguments', 'name: "cancel_ordr", arguments'))
    const inconsistent = await tau(["tasks", "--domain", bad], tmp.root)
    expect(inconsistent.code).toBe(1)
    expect(inconsistent.stderr).toContain("task cancel_placed_order: gold action cancel calls assistant tool cancel_ordr, which does not exist")
  })

  it("hashes what the domain imports, wherever it lies, and nothing else: an edit of a helper outside its folder is data-changed, of an unrelated file beside it is not", async () => {
    const outer = path.join(tmp.root, "outer")
    const shop = path.join(outer, "shop")
    fs.cpSync(dir, shop, { recursive: true })
    // The tools move out of the domain's folder: index.ts imports ../tools.ts.
    fs.renameSync(path.join(shop, "tools.ts"), path.join(outer, "tools.ts"))
    const index = path.join(shop, "index.ts")
    fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace('from "./tools.ts"', 'from "../tools.ts"'))
    const store = tmp.db()
    const run = await tau(["run", "--domain", shop, "--agent", "oracle", "--user", "scripted", "--db", store], tmp.root)
    expect(run.code).toBe(0)
    fs.writeFileSync(path.join(shop, "README.md"), "Notes that are not the domain.\n")
    fs.writeFileSync(path.join(outer, "unrelated.ts"), "export const x = 1\n")
    const clean = await tau(["replay", "--all", "--verify", "--db", store], tmp.root)
    expect(clean.stdout).toContain("2 episodes replayed, 2 verified, 0 with findings")
    const tools = path.join(outer, "tools.ts")
    fs.writeFileSync(tools, fs.readFileSync(tools, "utf8").replace('"Order " + orderId + " not found"', '"No order " + orderId'))
    const changed = await tau(["replay", "--all", "--verify", "--db", store], tmp.root)
    expect(changed.code).toBe(2)
    expect(changed.stdout).toContain("data-changed")
  })

  it("moved, its old episodes are pointed at the new folder with --domain (replay, show, rescore, fork, resume), the hashes deciding", async () => {
    const before = path.join(tmp.root, "old-place", "plant-shop")
    fs.cpSync(dir, before, { recursive: true })
    const store = tmp.db()
    const run = await tau(["run", "--domain", before, "--agent", "oracle", "--user", "scripted", "--run-id", "moving", "--json", "--db", store], tmp.root)
    expect(run.code).toBe(0)
    const [first] = jsonLines(run.stdout)
    const id = String(first.episode_id)
    fs.mkdirSync(path.join(tmp.root, "new-place"))
    const after = path.join(tmp.root, "new-place", "plant-shop")
    fs.renameSync(before, after)
    // Without --domain: the error says where to point.
    const lost = await tau(["show", id, "--db", store], tmp.root)
    expect(lost.code).toBe(1)
    expect(lost.stderr).toContain(`cannot load domain ${before}`)
    expect(lost.stderr).toContain("(point at the domain's folder where it is now with --domain)")
    const moved = ["--domain", "./new-place/plant-shop", "--db", store]
    const verify = await tau(["replay", "--all", "--verify", ...moved], tmp.root)
    expect(verify.stdout).toContain("2 episodes replayed, 2 verified, 0 with findings")
    for (const args of [
      ["show", id],
      ["rescore", "--run", "moving"],
      ["run", "--resume", "moving"],
    ]) {
      const r = await tau([...args, ...moved], tmp.root)
      expect({ args, code: r.code, stderr: r.stderr.includes("error:") ? r.stderr : "" }).toEqual({ args, code: 0, stderr: "" })
    }
    // A fork made so records the new place: it replays without --domain.
    const fork = await tau(["fork", id, "--at-turn", "2", "--json", ...moved], tmp.root)
    expect(fork.code).toBe(0)
    const child = String(JSON.parse(fork.stdout).episode_id)
    const again = await tau(["replay", child, "--verify", "--db", store], tmp.root)
    expect(again.code).toBe(0)
    // Another domain at the new place is not the same one: data-changed.
    const tools = path.join(after, "tools.ts")
    fs.writeFileSync(tools, fs.readFileSync(tools, "utf8").replace('"Order " + orderId + " not found"', '"No order " + orderId'))
    const changed = await tau(["replay", id, "--verify", ...moved], tmp.root)
    expect(changed.code).toBe(2)
    expect(changed.stdout).toContain("data-changed")
  })

  // Last: it edits the domain's code.
  it("records the domain's code with its data: after an edit to a tool, verify reports data-changed and fork refuses", async () => {
    const tools = path.join(dir, "tools.ts")
    fs.writeFileSync(tools, fs.readFileSync(tools, "utf8").replace('"Order " + orderId + " not found"', '"No order " + orderId'))
    const verify = await tau(["replay", "--all", "--verify", "--db", db], tmp.root)
    expect(verify.code).toBe(2)
    expect(verify.stdout).toContain("data-changed")
    const fork = await tau(["fork", String(episodes[1].episode_id), "--at-turn", "2", "--db", db], tmp.root)
    expect(fork.code).toBe(1)
    expect(fork.stderr).toContain("data changed since recorded")
  })
})
