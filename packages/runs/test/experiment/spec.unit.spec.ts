import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { cellRunConfig, ExperimentFileError, parseDomainEntry, parseExperimentText } from "../../src/index.ts"

const FILE = "/exp/dir/ablation.yaml"

const errorOf = (text: string): ExperimentFileError => {
  try {
    parseExperimentText(text, FILE)
  } catch (e) {
    if (e instanceof ExperimentFileError) return e
    throw e
  }
  throw new Error("expected an ExperimentFileError")
}

describe("experiment files", () => {
  it("applies defaults and resolves data_dir against the file's folder", () => {
    const spec = parseExperimentText("name: abl\ndata_dir: ../tau2\ndomains: [mock]\nagents: [oracle]\n", FILE)
    expect(spec).toMatchObject({
      name: "abl",
      dataDir: path.resolve("/exp/tau2"),
      modes: ["default"],
      users: ["scripted"],
      trials: 1,
      seed: 300,
      maxSteps: 200,
      maxErrors: 10,
      maxConcurrency: 3,
      baselineMode: "default",
    })
  })

  it("reads the issue's example keys", () => {
    const spec = parseExperimentText(
      [
        "name: airline-ablation",
        "data_dir: /data/tau2",
        "domains: [airline, telecom-workflow, telecom:workflow]",
        "modes: [no-user, default]",
        "agents: [openai:gpt-4.1]",
        "users: [openai:gpt-4.1]",
        "trials: 4",
        "tasks: {split: base, num_tasks: 5}",
        "max_concurrency: 8",
      ].join("\n"),
      FILE,
    )
    expect(spec.domains).toEqual([
      { label: "airline", domain: "airline", policyVariant: "default" },
      { label: "telecom-workflow", domain: "telecom", policyVariant: "workflow" },
      { label: "telecom:workflow", domain: "telecom", policyVariant: "workflow" },
    ])
    expect(spec.tasks).toEqual({ split: "base", ids: undefined, numTasks: 5 })
    expect(spec.trials).toBe(4)
    // `default` is the baseline whenever it is run, wherever it is listed.
    expect(spec.baselineMode).toBe("default")
  })

  it("names the key of every schema error", () => {
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\ntrials: three\n")).toMatchObject({ key: "trials" })
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\ntrials: 0\n").message).toContain("trials: Expected a value greater than or equal to 1")
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\nbogus: 1\n")).toMatchObject({ key: "bogus" })
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\nmodes: [solo]\n").key).toBe("modes[0]")
    expect(errorOf("name: a\ndomains: [mock]\nagents: []\n").key).toBe("agents")
    expect(errorOf("domains: [mock]\nagents: [oracle]\n").key).toBe("name")
    expect(errorOf("name: 'a b'\ndomains: [mock]\nagents: [oracle]\n").key).toBe("name")
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\ntasks: {ids: {mock: [1]}}\n").key).toBe("tasks.ids.mock[0]")
  })

  it("rejects duplicates, ids of unlisted domains and a baseline that is not run", () => {
    expect(errorOf("name: a\ndomains: [mock, mock]\nagents: [oracle]\n")).toMatchObject({ key: "domains" })
    expect(errorOf("name: a\ndomains: [mock]\nmodes: [default, default]\nagents: [oracle]\n")).toMatchObject({ key: "modes" })
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\ntasks: {ids: {retail: [x]}}\n")).toMatchObject({ key: "tasks.ids.retail" })
    expect(errorOf("name: a\ndomains: [mock]\nagents: [oracle]\nbaseline_mode: no-user\n")).toMatchObject({ key: "baseline_mode" })
  })

  it("reads episode_timeout as --episode-timeout does, into each cell's run configuration", () => {
    const base = "name: a\ndomains: [mock]\nagents: [oracle]\n"
    expect(parseExperimentText(base, FILE).episodeTimeoutMs).toBeNull()
    expect(parseExperimentText(`${base}episode_timeout: 1h30m\n`, FILE).episodeTimeoutMs).toBe(5_400_000)
    expect(parseExperimentText(`${base}episode_timeout: 90\n`, FILE).episodeTimeoutMs).toBe(90_000)
    const spec = parseExperimentText(`${base}episode_timeout: 90s\n`, FILE)
    const cell = { runId: "r", domain: spec.domains[0], dataDir: null, agent: "oracle", user: "scripted", mode: "default", taskIds: ["t"] }
    expect(cellRunConfig(spec, cell as unknown as Parameters<typeof cellRunConfig>[1]).episodeTimeoutMs).toBe(90_000)
    expect(cellRunConfig(parseExperimentText(base, FILE), cell as unknown as Parameters<typeof cellRunConfig>[1])).not.toHaveProperty("episodeTimeoutMs")
    for (const bad of ["soon", "0s", "-5", "0"]) {
      const e = errorOf(`${base}episode_timeout: ${bad}\n`)
      expect(e.key).toBe("episode_timeout")
      expect(e.message).toContain("a duration > 0")
    }
  })

  it("reports YAML syntax errors with their position", () => {
    const e = errorOf("name: a\ndomains: [mock\nagents: [oracle]\n")
    expect(e.key).toBe("")
    expect(e.message).toMatch(/not valid YAML \(line \d+, column \d+\)/)
    expect(errorOf("- just\n- a list\n").message).toContain("expected a mapping")
  })

  it("parses domain entries", () => {
    expect(parseDomainEntry("retail")).toEqual({ label: "retail", domain: "retail", policyVariant: "default" })
    expect(parseDomainEntry("telecom-workflow")).toEqual({ label: "telecom-workflow", domain: "telecom", policyVariant: "workflow" })
  })
})
