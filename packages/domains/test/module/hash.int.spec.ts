/**
 * The data hash of a domain given by path covers what the domain is made of and nothing else: the
 * files loading it imported (a helper outside its folder too) and the data files it declares; not
 * an unrelated file beside it, nor an event store kept in its folder (`tau run --domain . --db
 * shop.db` writes one there; hashed, every run would make its own episodes "data changed"). Each
 * load is a fresh `node` process, as a `tau` command is: the module hook only sees modules that
 * Node itself loads.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const PACKAGE = fileURLToPath(new URL("../..", import.meta.url))
const LOAD = fileURLToPath(new URL("../../src/module/load.ts", import.meta.url))
const root = fs.mkdtempSync(path.join(os.tmpdir(), "tau-domain-hash-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** The data hash `tau` records for the domain at `spec`, loaded in a process of its own. */
const dataHash = (spec: string): string => {
  const script = `
    import { Effect } from "effect"
    import { loadDomainModule } from ${JSON.stringify(LOAD)}
    const domain = await Effect.runPromise(loadDomainModule(${JSON.stringify(spec)}, "default"))
    process.stdout.write(domain.hashes.data)`
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: PACKAGE, encoding: "utf8" })
}

const write = (rel: string, text: string) => {
  const file = path.join(root, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

const DOMAIN = `
import { defineDomain, tool } from "@tau-sim/engine/sdk"
import { greeting } from "../shared/greeting.ts"
import { readFileSync } from "node:fs"
const prices = new URL("../data/prices.json", import.meta.url)
export default defineDomain({
  name: "shop",
  policy: "Be kind. " + readFileSync(prices, "utf8"),
  database: { data: {} },
  agentTools: { tools: [tool({ name: "hello", kind: "read", description: "Say hello.", run: () => greeting })] },
  tasks: [],
  dataFiles: [prices],
})
`

describe("the data hash of a domain given by path", () => {
  const shop = path.join(root, "shop")
  let first = ""

  beforeAll(() => {
    write("shop/index.ts", DOMAIN)
    write("data/prices.json", '{"fern": 3}\n')
    write("shared/greeting.ts", 'export const greeting: string = "hello"\n')
    write("shop/notes.txt", "not part of the domain\n")
    first = dataHash(shop)
  })

  it("is the same with an unrelated file beside the domain changed, and with an event store written in its folder", () => {
    write("shop/notes.txt", "edited\n")
    write("shop/unused.ts", "export const x = 1\n")
    const db = new DatabaseSync(path.join(shop, "shop.db"))
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)")
    expect(fs.existsSync(path.join(shop, "shop.db-wal"))).toBe(true)
    expect(dataHash(shop)).toBe(first)
    db.close()
  })

  it("changes with an imported helper outside the domain's folder", () => {
    const helper = path.join(root, "shared/greeting.ts")
    const before = fs.readFileSync(helper, "utf8")
    write("shared/greeting.ts", 'export const greeting: string = "hi"\n')
    expect(dataHash(shop)).not.toBe(first)
    write("shared/greeting.ts", before)
    expect(dataHash(shop)).toBe(first)
  })

  it("changes with a declared data file (outside the folder here)", () => {
    write("data/prices.json", '{"fern": 4}\n')
    expect(dataHash(shop)).not.toBe(first)
    write("data/prices.json", '{"fern": 3}\n')
  })

  it("is the same for the domain moved together with what it imports", () => {
    const moved = path.join(root, "moved")
    fs.mkdirSync(moved)
    fs.cpSync(shop, path.join(moved, "shop"), { recursive: true })
    for (const dir of ["shared", "data"]) fs.cpSync(path.join(root, dir), path.join(moved, dir), { recursive: true })
    expect(dataHash(path.join(moved, "shop"))).toBe(first)
  })

  it("of a single file, counts neither its folder's other files nor how many there are", () => {
    const crowded = path.join(root, "crowded")
    fs.mkdirSync(crowded)
    for (let i = 0; i < 2001; i++) fs.writeFileSync(path.join(crowded, `f${i}.txt`), String(i))
    const file = path.join(crowded, "domain.ts")
    fs.writeFileSync(file, DOMAIN)
    const hash = dataHash(file)
    fs.writeFileSync(path.join(crowded, "f0.txt"), "changed")
    expect(dataHash(file)).toBe(hash)
  })
})
