/**
 * Credentials in a τ² results header never reach the store (review of issue 11): τ² writes its
 * participants' `llm_args` verbatim, and they often hold an API key or a base URL with a password.
 * After `tau import tau2`, the store file holds none of them, and `tau export tau2` shows `***`.
 */
import { existsSync, readFileSync } from "node:fs"
import { needsData } from "@tau-sim/domains/testing"
import { PyJson, type PyObject } from "@tau-sim/engine"
import { afterAll, expect, it } from "vitest"
import { resultsFromFixtures, writeResults } from "../../interop/test/results-file.ts"
import { tau, tempDir } from "./tau.ts"

const data = needsData("tau2", "conformance")
const tmp = tempDir("import-credentials")
afterAll(tmp.dispose)

const KEY = "sk-live-4f9c2e7a1b3d5f6e"
const PASSWORD = "pw-8d1e4b7c9a2f"
const TOKEN = "tok-3a5c7e9b1d2f4a6c"

data.describe("credentials in an imported results header", () => {
  it("are not stored, and the export shows them redacted", async () => {
    const doc = resultsFromFixtures("gold", "mock") as PyObject & { info: PyObject & { agent_info: PyObject; user_info: PyObject } }
    const withSecrets = {
      ...doc,
      info: {
        ...doc.info,
        agent_info: { ...doc.info.agent_info, llm_args: { temperature: 0, api_key: KEY, api_base: `https://eval:${PASSWORD}@llm.example.com/v1` } },
        user_info: { ...doc.info.user_info, llm_args: { temperature: 0, base_url: `https://llm.example.com/v1?token=${TOKEN}` } },
      },
    }
    const file = writeResults(tmp.root, "results.json", withSecrets as PyObject)
    const db = tmp.db()
    const imported = await tau(["import", "tau2", file, "--data-dir", data.tau2, "--db", db], tmp.root)
    expect(imported.code, imported.stderr).toBe(0)
    const stored = [db, `${db}-wal`].map((f) => (existsSync(f) ? readFileSync(f, "latin1") : "")).join("")
    for (const secret of [KEY, PASSWORD, TOKEN]) expect(stored).not.toContain(secret)

    const runId = /as run (\S+)/.exec(imported.stdout)?.[1] ?? ""
    const exported = await tau(["export", "tau2", "--run", runId, "--db", db], tmp.root)
    expect(exported.code, exported.stderr).toBe(0)
    for (const secret of [KEY, PASSWORD, TOKEN]) expect(exported.stdout).not.toContain(secret)
    const info = (PyJson.parse(exported.stdout) as PyObject & { info: { agent_info: { llm_args: PyObject }; user_info: { llm_args: PyObject } } }).info
    expect(info.agent_info.llm_args.api_key).toBe("***")
    expect(info.agent_info.llm_args.api_base).toBe("https://***@llm.example.com/v1")
    expect(info.agent_info.llm_args.temperature).toBe(0)
    expect(String(info.user_info.llm_args.base_url)).not.toContain(TOKEN)
  })
})
