/**
 * `tau data fetch` end to end: an archive in GitHub's layout (`tau2-bench-<commit>/data/tau2/...`,
 * pax headers, files we do not use) built at test time from the τ² data, served over HTTP on
 * 127.0.0.1 and read from a local path, installed into a temporary XDG cache; τ² commands then work
 * with no `--data-dir` and no `TAU2_DATA_DIR`. A tampered file is rejected by the manifest check
 * (naming it, installing nothing); an unreachable URL is a clear offline error; `--data-dir` beats
 * `TAU2_DATA_DIR`, which beats the cache.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { afterAll, beforeAll, expect, it } from "vitest"
import { needsData } from "@tau-sim/domains/testing"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const data = needsData("tau2")
const COMMIT = "a2c024725189473d2d7cea3a5cfdbcc67478e41f"
const tmp = tempDir("data-fetch")
afterAll(tmp.dispose)

/** The child's environment: its own cache, and no TAU2_DATA_DIR from the developer's shell. */
const envWith = (xdg: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const { TAU2_DATA_DIR: _, ...rest } = process.env
  return { ...rest, XDG_CACHE_HOME: xdg, ...extra }
}
const cacheOf = (xdg: string) => path.join(xdg, "tau-sim", "tau2-data")
const freshCache = (name: string) => {
  const dir = tmp.file(`xdg-${name}`)
  fs.mkdirSync(dir)
  return dir
}

/** `<name>.tar.gz` of the τ² data in GitHub's layout; `edit` changes the tree before packing. */
const buildArchive = (name: string, edit?: (dataTau2: string) => void) => {
  const tree = tmp.file(`tree-${name}`)
  const top = path.join(tree, `tau2-bench-${COMMIT}`)
  const dataTau2 = path.join(top, "data", "tau2")
  fs.mkdirSync(path.dirname(dataTau2), { recursive: true })
  fs.cpSync(data.tau2, dataTau2, { recursive: true })
  fs.writeFileSync(path.join(top, "README.md"), "not data\n")
  // Upstream's data/tau2/ holds files we do not use; a name over 100 bytes needs a pax header.
  const unused = path.join(dataTau2, "domains", "banking_knowledge", "documents", `${"doc_".repeat(30)}001.json`)
  fs.mkdirSync(path.dirname(unused), { recursive: true })
  fs.writeFileSync(unused, "{}\n")
  edit?.(dataTau2)
  const archive = tmp.file(`${name}.tar.gz`)
  execFileSync("tar", ["--format=pax", "-czf", archive, "-C", tree, `tau2-bench-${COMMIT}`])
  return archive
}

let server: http.Server
let base = ""
beforeAll(async () => {
  if (!data.present) return
  buildArchive("good")
  // Same size, one byte different: only the hash can tell.
  buildArchive("tampered", (d) => {
    const policy = path.join(d, "domains", "mock", "policy.md")
    const text = fs.readFileSync(policy, "utf8")
    fs.writeFileSync(policy, text.replace(/a/, "b"))
  })
  server = http.createServer((req, res) => {
    if (req.url === "/cut.tar.gz") {
      // The connection drops half-way through the body.
      const bytes = fs.readFileSync(tmp.file("good.tar.gz"))
      res.writeHead(200, { "content-length": bytes.length, "content-type": "application/gzip" })
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy())
      return
    }
    const file = tmp.file(path.basename(req.url ?? ""))
    if (!fs.existsSync(file)) return void res.writeHead(404).end()
    res.writeHead(200, { "content-length": fs.statSync(file).size, "content-type": "application/gzip" })
    fs.createReadStream(file).pipe(res)
  })
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((ok) => (server ? server.close(() => ok()) : ok())))

data.describe("tau data fetch", () => {
  const xdg = freshCache("http")
  const installed = path.join(cacheOf(xdg), COMMIT)

  it("installs the verified data over HTTP; tasks and a run then need no --data-dir", async () => {
    const fetched = await tau(["data", "fetch", "--from", `${base}/good.tar.gz`, "--json"], tmp.root, envWith(xdg))
    expect(fetched.stderr).toBe("")
    expect(fetched.code).toBe(0)
    expect(jsonLines(fetched.stdout)).toEqual([
      { commit: COMMIT, data_dir: installed, status: "installed", files: 28, ignored: 1, source: `${base}/good.tar.gz` },
    ])
    // Only the manifest's files are installed, and nothing is left beside the target.
    expect(fs.existsSync(path.join(installed, "domains", "banking_knowledge"))).toBe(false)
    expect(fs.readdirSync(cacheOf(xdg))).toEqual([COMMIT])

    const tasks = await tau(["tasks", "--domain", "mock", "--json"], tmp.root, envWith(xdg))
    expect(tasks.code).toBe(0)
    expect(jsonLines(tasks.stdout)).toHaveLength(10)
    const run = await tau(
      ["run", "--domain", "mock", "--agent", "oracle", "--user", "scripted", "--task-ids", "create_task_1", "--json", "--db", tmp.db()],
      tmp.root,
      envWith(xdg),
    )
    expect(run.code, run.stderr).toBe(0)
    expect(jsonLines(run.stdout).map((l) => l.reward)).toEqual([1])

    const again = await tau(["data", "fetch", "--from", `${base}/missing.tar.gz`, "--json"], tmp.root, envWith(xdg))
    expect(jsonLines(again.stdout)[0]).toMatchObject({ status: "present", data_dir: installed })
  })

  it("rejects an archive with a tampered file, naming it, and installs nothing", async () => {
    const fresh = freshCache("tampered")
    const r = await tau(["data", "fetch", "--from", `${base}/tampered.tar.gz`], tmp.root, envWith(fresh))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/data\/tau2\/domains\/mock\/policy\.md has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}; nothing was installed/)
    expect(fs.readdirSync(cacheOf(fresh))).toEqual([])
    const tasks = await tau(["tasks", "--domain", "mock"], tmp.root, envWith(fresh))
    expect(tasks.code).toBe(1)
    expect(tasks.stderr).toContain("run `tau data fetch`")
  })

  it("an unreachable URL is a clear offline error, without the URL's credentials", async () => {
    const closed = http.createServer()
    await new Promise<void>((ok) => closed.listen(0, "127.0.0.1", ok))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((ok) => closed.close(() => ok()))
    const fresh = freshCache("offline")
    const r = await tau(["data", "fetch", "--from", `http://me:hunter2@127.0.0.1:${port}/x.tar.gz`], tmp.root, envWith(fresh))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: cannot download http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/x\\.tar\\.gz: .*ECONNREFUSED.*; use --from with a local archive or mirror\\n$`,
      ),
    )
    expect(r.stderr).not.toContain("hunter2")
    expect(fs.readdirSync(cacheOf(fresh))).toEqual([])
  })

  /** A gzip'ed tar holding one file whose name climbs out of the target folder (`tar` itself will not write one). */
  const unsafeArchive = () => {
    const header = Buffer.alloc(512)
    header.write(`tau2-bench-${COMMIT}/data/tau2/../../../../evil.txt`, 0)
    header.write("0000644\0", 100)
    header.write("0000000\0", 108)
    header.write("0000000\0", 116)
    header.write("00000000004\0", 124)
    header.write("00000000000\0", 136)
    header.write("        ", 148)
    header.write("0", 156)
    header.write("ustar\x0000", 257)
    let sum = 0
    for (const b of header) sum += b
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148)
    const content = Buffer.alloc(512)
    content.write("evil")
    const file = tmp.file("unsafe.tar.gz")
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header, content, Buffer.alloc(1024)])))
    return file
  }

  it.each([
    [
      "a file that is not gzip",
      () => {
        fs.writeFileSync(tmp.file("plain.tar.gz"), "not an archive\n")
        return tmp.file("plain.tar.gz")
      },
      (from: string) => new RegExp(`^error: cannot read the archive ${from}: not a \\.tar\\.gz \\(.*\\); nothing was installed\\n$`),
    ],
    [
      "a truncated archive",
      () => {
        const good = fs.readFileSync(tmp.file("good.tar.gz"))
        fs.writeFileSync(tmp.file("half.tar.gz"), good.subarray(0, good.length >> 1))
        return tmp.file("half.tar.gz")
      },
      (from: string) => new RegExp(`^error: cannot read the archive ${from}: not a \\.tar\\.gz \\(unexpected end of file\\); nothing was installed\\n$`),
    ],
    [
      "an entry outside the target folder",
      unsafeArchive,
      (from: string) =>
        new RegExp(
          `^error: cannot read the archive ${from}: archive entry ".*evil\\.txt" would be written outside the target folder .*; nothing was installed\\n$`,
        ),
    ],
    [
      "a folder instead of an archive",
      () => tmp.root,
      (from: string) => new RegExp(`^error: cannot read the archive ${from}: not a file; nothing was installed\\n$`),
    ],
    [
      "a download that stops half-way",
      () => `${base}/cut.tar.gz`,
      () =>
        /^error: cannot download http:\/\/127\.0\.0\.1:\d+\/cut\.tar\.gz: connection lost after \d+ bytes: .*; use --from with a local archive or mirror\n$/,
    ],
    [
      "a URL that is not there (HTTP 404)",
      () => `${base}/nothing-here.tar.gz`,
      () => /^error: cannot download http:\/\/127\.0\.0\.1:\d+\/nothing-here\.tar\.gz: HTTP 404 Not Found; use --from with a local archive or mirror\n$/,
    ],
  ])("%s is one line naming it; nothing is installed", async (name, make, expected) => {
    const from = make()
    const fresh = freshCache(`fault-${name.replaceAll(/[^a-z0-9]+/g, "-")}`)
    const r = await tau(["data", "fetch", "--from", from], tmp.root, envWith(fresh))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(expected(from))
    expect(fs.readdirSync(cacheOf(fresh))).toEqual([])
    expect(fs.existsSync(path.join(tmp.root, "evil.txt"))).toBe(false)
  })

  it("installs from a local archive path", async () => {
    const fresh = freshCache("local")
    const r = await tau(["data", "fetch", "--from", tmp.file("good.tar.gz")], tmp.root, envWith(fresh))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`installed τ² data ${COMMIT} in ${path.join(cacheOf(fresh), COMMIT)}: 28 files verified`)
    const policy = await tau(["policy", "--domain", "mock"], tmp.root, envWith(fresh))
    expect(policy.stdout).toBe(`${fs.readFileSync(path.join(data.tau2, "domains", "mock", "policy.md"), "utf8")}\n`)
  })

  it("--data-dir beats TAU2_DATA_DIR, which beats the fetched cache", async () => {
    expect((await tau(["data", "fetch", "--from", tmp.file("good.tar.gz")], tmp.root, envWith(xdg))).code).toBe(0)
    const own = tmp.file("env-data")
    fs.cpSync(path.join(data.tau2, "domains", "mock"), path.join(own, "domains", "mock"), { recursive: true })
    fs.appendFileSync(path.join(own, "domains", "mock", "policy.md"), "\nMARKER FROM TAU2_DATA_DIR\n")
    const policy = (args: string[], env: NodeJS.ProcessEnv) => tau(["policy", "--domain", "mock", ...args], tmp.root, env)

    expect((await policy([], envWith(xdg))).stdout).not.toContain("MARKER")
    const fromEnv = await policy([], envWith(xdg, { TAU2_DATA_DIR: own }))
    expect(fromEnv.stdout).toContain("MARKER FROM TAU2_DATA_DIR")
    expect((await policy(["--data-dir", installed], envWith(xdg, { TAU2_DATA_DIR: own }))).stdout).not.toContain("MARKER")
    const nowhere = tmp.file("no-such-data")
    const flag = await policy(["--data-dir", nowhere], envWith(xdg, { TAU2_DATA_DIR: own }))
    expect(flag.code).toBe(1)
    expect(flag.stderr).toContain(nowhere)
    // A run records the folder it read (replays find it again).
    const db = tmp.db()
    const run = await tau(
      ["run", "--domain", "mock", "--agent", "oracle", "--user", "scripted", "--task-ids", "create_task_1", "--run-id", "run_env", "--db", db],
      tmp.root,
      envWith(xdg, { TAU2_DATA_DIR: own }),
    )
    expect(run.code, run.stderr).toBe(0)
    const started = Object.values((await storedRun(db, "run_env")).events).map((events) => events[0].event)
    expect(started).toMatchObject([{ _tag: "EpisodeStarted", dataDir: own }])
  })
})
