/**
 * `tau view --host 0.0.0.0 --allow-host NAME`: other machines reach the viewer by the names given
 * (with its port); every other Host header is still refused (DNS rebinding), and without
 * --allow-host the warning says how to let them in.
 */
import { request } from "node:http"
import { afterAll, beforeAll, expect, it } from "vitest"
import { finished, spawnTau, tau, tempDir } from "./tau.ts"
import { startView, type ViewServer } from "./view-server.ts"

const tmp = tempDir("cli-view-allow-host")
const db = tmp.db()
let view: ViewServer

beforeAll(async () => {
  const run = await tau(["run", "--domain", "demo", "--task-ids", "renew_loan", "--db", db], tmp.root)
  expect(run.code, run.stderr).toBe(0)
  view = await startView(db, tmp.root, ["--host", "0.0.0.0", "--allow-host", "tau-box.example", "--allow-host", "192.168.7.20"])
}, 120_000)

afterAll(async () => {
  await view?.stop()
  tmp.dispose()
})

const statusWithHost = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const port = new URL(view.base).port
    const req = request({ host: "127.0.0.1", port, path: "/api/runs", headers: { host, "x-tau-token": view.token } }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end()
  })

it("answers to the --allow-host names with its port, and refuses every other Host", async () => {
  const port = new URL(view.base).port
  for (const host of [`tau-box.example:${port}`, `TAU-BOX.example:${port}`, `192.168.7.20:${port}`, `0.0.0.0:${port}`, `127.0.0.1:${port}`])
    expect(await statusWithHost(host), host).toBe(200)
  for (const host of ["tau-box.example", `tau-box.example:${Number(port) + 1}`, `evil.example:${port}`, `192.168.7.21:${port}`])
    expect(await statusWithHost(host), host).toBe(403)
})

it("warns, without --allow-host, that other machines get 403; refuses a name with a port", async () => {
  const other = spawnTau(["view", "--db", db, "--port", "0", "--host", "0.0.0.0"], tmp.root)
  const exited = finished(other)
  // Stopped once it has said everything it says on starting (the warning comes before this line).
  await new Promise<void>((resolve) => {
    let err = ""
    other.stderr?.on("data", (d: Buffer | string) => {
      err += d.toString()
      if (err.includes("(Ctrl-C stops)")) resolve()
    })
  })
  other.kill("SIGTERM")
  const { stderr } = await exited
  expect(stderr).toContain("they must address it by a name given with --allow-host, else they get 403")
  // A name with a port is refused before anything listens (the port is the viewer's own).
  const withPort = await tau(["view", "--db", db, "--port", "0", "--allow-host", "box.lan:80"], tmp.root)
  expect(withPort.code).not.toBe(0)
  expect(withPort.stderr).toContain("without a port")
})
