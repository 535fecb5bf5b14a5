/**
 * The `tau` executable (issue 13): `node_modules/.bin/tau` runs the CLI on the project's Node 24
 * whatever `node` the PATH has, and runs the bundle only while it is as new as every source in it.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
// @ts-expect-error: plain JavaScript without declarations (it runs before anything is type-stripped)
import { chooseEntry } from "../bin/entry.mjs"
import { MAIN, NODE, REPO, tempDir } from "./tau.ts"

const tmp = tempDir("executable")
afterAll(tmp.dispose)
const CLI = join(REPO, "packages/cli")

/** A CLI package layout with a bundle built at `builtAt` (seconds) over the listed sources. */
const layout = (name: string, sources: Record<string, number>, builtAt: number, listed = Object.keys(sources)) => {
  const dir = tmp.file(name)
  mkdirSync(join(dir, "dist"), { recursive: true })
  mkdirSync(join(dir, "src"), { recursive: true })
  for (const [file, mtime] of Object.entries(sources)) {
    writeFileSync(join(dir, file), "")
    utimesSync(join(dir, file), mtime, mtime)
  }
  writeFileSync(join(dir, "dist/tau.mjs"), "")
  utimesSync(join(dir, "dist/tau.mjs"), builtAt, builtAt)
  writeFileSync(join(dir, "dist/inputs.json"), JSON.stringify(listed))
  return dir
}

describe("which code bin/tau.mjs runs", () => {
  it("the bundle when no source inside it is newer", () => {
    const dir = layout("current", { "src/main.ts": 1000, "src/a.ts": 2000 }, 2000)
    expect(chooseEntry(dir)).toBe(join(dir, "dist/tau.mjs"))
  })
  it("the sources when one of them changed after the build", () => {
    const dir = layout("stale", { "src/main.ts": 1000, "src/a.ts": 3000 }, 2000)
    expect(chooseEntry(dir)).toBe(join(dir, "src/main.ts"))
  })
  it("the sources when a source the bundle lists is gone, or the list is unreadable or empty", () => {
    const gone = layout("gone", { "src/main.ts": 1000 }, 2000, ["src/main.ts", "src/deleted.ts"])
    expect(chooseEntry(gone)).toBe(join(gone, "src/main.ts"))
    const empty = layout("empty", { "src/main.ts": 1000 }, 2000, [])
    expect(chooseEntry(empty)).toBe(join(empty, "src/main.ts"))
    const garbled = layout("garbled", { "src/main.ts": 1000 }, 2000)
    writeFileSync(join(garbled, "dist/inputs.json"), "{not json")
    expect(chooseEntry(garbled)).toBe(join(garbled, "src/main.ts"))
    rmSync(join(garbled, "dist"), { recursive: true })
    expect(chooseEntry(garbled)).toBe(join(garbled, "src/main.ts"))
  })
  // The install (`prepare`: turbo run build) builds it; in CI nothing edits the sources afterwards.
  it.runIf(process.env.CI === "true")("the bundle, in CI after the install built it, dated against the sources and the dependency manifests", () => {
    expect(chooseEntry(CLI)).toBe(join(CLI, "dist/tau.mjs"))
    const inputs = JSON.parse(readFileSync(join(CLI, "dist/inputs.json"), "utf8")) as Array<string>
    expect(inputs).toEqual(expect.arrayContaining(["src/main.ts", "../../pnpm-lock.yaml", "../../package.json", "package.json"]))
  })
})

describe("node_modules/.bin/tau", () => {
  it("runs on the project's Node 24 when the PATH's node is another one", () => {
    // A `node` first on the PATH that would fail loudly if the executable used it.
    const fakeBin = tmp.file("fake-bin")
    mkdirSync(fakeBin)
    writeFileSync(join(fakeBin, "node"), "#!/bin/sh\necho 'wrong node' >&2\nexit 97\n")
    chmodSync(join(fakeBin, "node"), 0o755)
    const r = spawnSync(join(REPO, "node_modules/.bin/tau"), ["--version"], {
      cwd: tmp.root,
      encoding: "utf8",
      env: { ...process.env, PATH: `${fakeBin}:/usr/bin:/bin` },
    })
    expect(r.stderr).not.toContain("wrong node")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^tau v\d+\.\d+\.\d+/)
  })

  it("answers as the sources do (the bundle, when current, is the same program)", () => {
    const viaBin = spawnSync(NODE, [MAIN, "tasks", "--domain", "demo"], { cwd: tmp.root, encoding: "utf8" })
    const viaSources = spawnSync(NODE, [join(CLI, "src/main.ts"), "tasks", "--domain", "demo"], { cwd: tmp.root, encoding: "utf8" })
    expect(viaBin.status).toBe(0)
    expect(viaBin.stdout).toBe(viaSources.stdout)
    expect(viaBin.stdout.length).toBeGreaterThan(0)
  })
})
