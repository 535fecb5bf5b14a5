/**
 * docs/writing-a-domain.md runs as written: every `sh` block's commands, in order, in one empty
 * folder (through the real CLI), and every `ts` block is code of the domain `tau domain init`
 * writes, verbatim (so the page cannot drift from what a newcomer gets). The README's section
 * on domains runs too.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { REPO, tau, tempDir } from "./tau.ts"

const tmp = tempDir("domain-doc")
afterAll(tmp.dispose)
const page = fs.readFileSync(path.join(REPO, "docs/writing-a-domain.md"), "utf8")
const blocks = (lang: string) => [...page.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1])
const commands = blocks("sh").flatMap((b) => b.split("\n").filter((l) => l.startsWith("tau ")))

/** A command line of the page as argv (the page quotes nothing). */
const argv = (line: string) => line.slice("tau ".length).split(/\s+/).filter(Boolean)

describe("docs/writing-a-domain.md", () => {
  it("is linked from the README", () => {
    expect(fs.readFileSync(path.join(REPO, "README.md"), "utf8")).toContain("(docs/writing-a-domain.md)")
  })

  it("runs every command of its sh blocks, in order, each exiting 0", async () => {
    expect(commands.length).toBeGreaterThanOrEqual(8)
    for (const line of commands) {
      const r = await tau(argv(line), tmp.root)
      expect({ line, code: r.code, stderr: r.stderr.includes("error:") ? r.stderr : "" }).toEqual({ line, code: 0, stderr: "" })
    }
    // What the commands promise: the domain's tests pass, the oracle solves the generated tasks.
    expect(fs.existsSync(path.join(tmp.root, "shop-tasks.json"))).toBe(true)
    expect(JSON.parse(fs.readFileSync(path.join(tmp.root, "demo-tasks.json"), "utf8"))).toHaveLength(10)
  })

  it("the README's section runs as written too", async () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("## Your own domain, and generated tasks"))
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? ""
    const lines = block
      .split("\n")
      .filter((l) => l.startsWith("pnpm tau "))
      .map((l) => l.replace(/\s+#.*$/, "").slice("pnpm ".length))
    expect(lines).toHaveLength(5)
    const dir = path.join(tmp.root, "readme")
    fs.mkdirSync(dir)
    for (const line of lines) {
      const r = await tau([...argv(line), ...(line.startsWith("tau run") ? ["--db", path.join(dir, "tau.db")] : [])], dir)
      expect({ line, code: r.code }).toEqual({ line, code: 0 })
    }
  })

  it("shows code that is the scaffold's, verbatim", () => {
    const dir = path.join(tmp.root, "plant-shop")
    const code = ["index.ts", "tools.ts"].map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n")
    const snippets = blocks("ts")
    expect(snippets.length).toBeGreaterThanOrEqual(5)
    for (const snippet of snippets) expect(code).toContain(snippet.trimEnd())
  })
})
