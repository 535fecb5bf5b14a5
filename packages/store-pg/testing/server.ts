/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` (installed with apt-get when
 * missing and we are root, one apt at a time: scripts/ensure-debian-package.sh), `initdb` into a
 * temporary folder, started by `pg_ctl` on a loopback port chosen free and a private socket folder,
 * with password (SCRAM) authentication so that the URLs the tests use carry a real password.
 * `initdb` and `pg_ctl` refuse to run as root: as root they run as the `postgres` user.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..")
/** Present once the Debian server package is installed (postgresql-common's cluster tool). */
const DEBIAN_MARKER = "/usr/bin/pg_ctlcluster"

/** Where `initdb` and `pg_ctl` are: the newest /usr/lib/postgresql/<v>/bin, or the PATH. */
const findBinDir = (): string | undefined => {
  const root = "/usr/lib/postgresql"
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a))
    if (versions.length > 0) return path.join(root, versions[0], "bin")
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" })
  const initdb = which.status === 0 ? which.stdout.trim() : ""
  return initdb ? path.dirname(fs.realpathSync(initdb)) : undefined
}

/** The folder holding `initdb` and `pg_ctl`, installing Debian's `postgresql` if needed; or why there is none. */
export const postgresBinDir = (): { readonly bin: string } | { readonly missing: string } => {
  // TAU_PG_BIN names the folder (another build of PostgreSQL); `none` shows what a machine without one sees.
  const fromEnv = process.env.TAU_PG_BIN
  if (fromEnv === "none") return { missing: "TAU_PG_BIN=none" }
  if (fromEnv) return fs.existsSync(path.join(fromEnv, "initdb")) ? { bin: fromEnv } : { missing: `TAU_PG_BIN=${fromEnv} has no initdb` }
  const found = findBinDir()
  if (found) return { bin: found }
  if (process.getuid?.() !== 0) return { missing: "PostgreSQL (initdb, pg_ctl) is not installed and installing it needs root (apt-get install -y postgresql)" }
  if (spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0)
    return { missing: "PostgreSQL (initdb, pg_ctl) is not installed and there is no apt-get to install it" }
  try {
    execFileSync("sh", [path.join(REPO_ROOT, "scripts/ensure-debian-package.sh"), DEBIAN_MARKER, "postgresql"], { stdio: "ignore", timeout: 900_000 })
  } catch (e) {
    return { missing: `apt-get install -y postgresql failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }
  }
  const installed = findBinDir()
  return installed ? { bin: installed } : { missing: "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql" }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

export interface TestPostgres {
  /** A folder of the server's own, removed with it (for a test's scratch files). */
  readonly dir: string
  /** The server's superuser, with a password (URLs carry it: redaction is exercised). */
  readonly user: string
  readonly password: string
  readonly port: number
  /** `postgres://user:password@127.0.0.1:port/<database>` */
  readonly url: (database: string) => string
  /** Creates a database (a fresh store) and returns its URL. */
  readonly createDatabase: (name: string) => string
  /** Runs SQL with psql against a database (tests that edit rows behind the store's back). */
  readonly psql: (database: string, sql: string) => string
  /** Stops the server (immediately) and removes its folder; idempotent. */
  readonly stop: () => void
}

/** Starts a throwaway server; `bin` from `postgresBinDir`. */
export const startPostgres = async (bin: string): Promise<TestPostgres> => {
  const asRoot = process.getuid?.() === 0
  const dir = fs.mkdtempSync(path.join(tmpdir(), "tau-pg-"))
  const data = path.join(dir, "data")
  const sockets = path.join(dir, "sockets")
  fs.mkdirSync(sockets)
  const user = "tau"
  const password = `tau-test-${randomBytes(12).toString("hex")}`
  const pwfile = path.join(dir, "pwfile")
  fs.writeFileSync(pwfile, `${password}\n`)
  if (asRoot) {
    // The server runs as postgres: it must own its folder.
    fs.chmodSync(dir, 0o755)
    execFileSync("chown", ["-R", "postgres:postgres", dir])
  }
  const run = (tool: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): string => {
    const command = asRoot ? "runuser" : path.join(bin, tool)
    const argv = asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : [...args]
    const result = spawnSync(command, argv, { encoding: "utf8", env: { ...process.env, LC_ALL: "C", ...env }, timeout: 120_000 })
    if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed (${result.status}): ${result.stderr || result.stdout}`)
    return result.stdout
  }
  let started = false
  let stopped = false
  const stop = (): void => {
    if (stopped) return
    stopped = true
    process.removeListener("exit", stop)
    if (started)
      spawnSync(
        asRoot ? "runuser" : path.join(bin, "pg_ctl"),
        [...(asRoot ? ["-u", "postgres", "--", path.join(bin, "pg_ctl")] : []), "-D", data, "-m", "immediate", "-w", "stop"],
        { stdio: "ignore" },
      )
    fs.rmSync(dir, { recursive: true, force: true })
  }
  // A test process that ends without its afterAll still stops its server.
  process.on("exit", stop)
  try {
    run("initdb", ["-D", data, "-U", user, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
    let port = 0
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      try {
        run("pg_ctl", [
          "-D",
          data,
          "-l",
          path.join(dir, "server.log"),
          "-w",
          "-t",
          "60",
          "-o",
          `-c listen_addresses=127.0.0.1 -p ${port} -k ${sockets} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
          "start",
        ])
        break
      } catch (e) {
        // Another process may have taken the port between the check and the start.
        if (attempt >= 2) throw new Error(`${e instanceof Error ? e.message : String(e)}\n${fs.readFileSync(path.join(dir, "server.log"), "utf8")}`)
      }
    }
    started = true
    const url = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`
    const psql = (database: string, sql: string): string =>
      run("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", sockets, "-p", String(port), "-U", user, "-d", database, "-c", sql])
    return {
      dir,
      user,
      password,
      port,
      url,
      psql,
      createDatabase: (name) => {
        psql("postgres", `CREATE DATABASE "${name}"`)
        return url(name)
      },
      stop,
    }
  } catch (e) {
    stop()
    throw e
  }
}
