/**
 * Every kind of damage to the log, made with raw SQL on a copy of a real store (a second
 * connection, as a hand edit or a broken disk would): `tau replay --all --verify` exits 2, names
 * the episode, the seq and what is wrong, and every untouched episode in the same store still
 * verifies. Without `--verify`, an unreadable episode is named and skipped (exit 3); `show` of it
 * is an error naming the row; unknown ids are errors naming the store.
 */
import { chainHash } from "@tau-sim/engine"
import Database from "better-sqlite3"
import { beforeAll, describe, expect, it } from "vitest"
import { jsonLines, storedRun, tau, tempDir } from "./tau.ts"

const tmp = tempDir("verify-tamper")

const RUN = "run_tamper"
const db = tmp.db()
let episodes: string[] = []
/** The episode every case damages; a fork `child` of `parent`, and a fork `grandchild` of the child. */
let victim = ""
let parent = ""
let child = ""
let grandchild = ""

interface Row {
  readonly seq: number
  readonly tag: string
  readonly v: number
  readonly body: string
  readonly hash: string | null
}

const rowsOf = (raw: Database.Database, episodeId: string): Row[] =>
  raw.prepare("SELECT seq, tag, v, body, hash FROM events WHERE episode_id = ? ORDER BY seq").all(episodeId) as Row[]

const copyOf = async (name: string): Promise<string> => {
  const path = tmp.file(`${name}.db`)
  const source = new Database(db, { readonly: true })
  await source.backup(path)
  source.close()
  return path
}

/** Applies `damage` to a copy of the store; returns the copy's path. */
const damaged = async (name: string, damage: (raw: Database.Database) => void): Promise<string> => {
  const path = await copyOf(name)
  const raw = new Database(path)
  try {
    raw.transaction(() => damage(raw))()
  } finally {
    raw.close()
  }
  return path
}

const firstSeq = (rows: ReadonlyArray<Row>, test: (body: Record<string, unknown>) => boolean): number => {
  const row = rows.find((r) => test(JSON.parse(r.body) as Record<string, unknown>))
  if (!row) throw new Error("no such event in the victim's stream")
  return row.seq
}
const liveMessage = (b: Record<string, unknown>) => b._tag === "MessageSent" && !b.setup && typeof b.text === "string"
const liveTool = (b: Record<string, unknown>) => b._tag === "ToolExecuted" && !b.setup && b.actor === "agent"

const verifyAll = async (path: string) => {
  const result = await tau(["replay", "--all", "--verify", "--json", "--db", path], tmp.root)
  return { ...result, rows: jsonLines(result.stdout) }
}

type FindingRow = { kind: string; episode_id: string; seq: number | null; detail: string } & Record<string, unknown>

/** Exit 2, the victim (and only episodes resting on it) not verified with `expected` among its findings, the others verified. */
const expectNamed = async (path: string, expected: ReadonlyArray<Partial<FindingRow>>, alsoFailing: ReadonlyArray<string> = []) => {
  const { code, rows, stderr } = await verifyAll(path)
  expect(code, stderr).toBe(2)
  expect(rows).toHaveLength(episodes.length)
  const failing = rows.filter((r) => r.verified !== true)
  expect(failing.map((r) => r.episode_id).sort()).toEqual([victim, ...alsoFailing].sort())
  const findings = failing.find((r) => r.episode_id === victim)?.findings as FindingRow[]
  for (const f of expected) expect(findings).toContainEqual(expect.objectContaining({ episode_id: victim, ...f }))
  for (const f of findings) expect(f.detail).toEqual(expect.any(String))
  return { rows, findings }
}

beforeAll(async () => {
  const run = await tau(["run", "--domain", "demo", "--num-tasks", "4", "--trials", "2", "--run-id", RUN, "--db", db], tmp.root)
  expect(run.code, run.stderr).toBe(0)
  const stored = await storedRun(db, RUN)
  // The victim has a tool call and a text message after the setup.
  victim = stored.rows.find((r) => stored.events[r.episodeId].length >= 10)?.episodeId ?? ""
  expect(victim).not.toBe("")
  parent = stored.rows.find((r) => r.episodeId !== victim && stored.events[r.episodeId].length >= 10)?.episodeId ?? ""
  expect(parent).not.toBe("")
  const fork = await tau(["fork", parent, "--at-turn", "4", "--json", "--db", db], tmp.root)
  expect(fork.code, fork.stderr).toBe(0)
  child = String(jsonLines(fork.stdout)[0].episode_id)
  // The grandchild inherits the child's prefix, part of which is the child's own rows.
  const turns = (JSON.parse((await tau(["show", child, "--json", "--db", db], tmp.root)).stdout).messages as unknown[]).length
  const fork2 = await tau(["fork", child, "--at-turn", String(turns - 2), "--json", "--db", db], tmp.root)
  expect(fork2.code, fork2.stderr).toBe(0)
  grandchild = String(jsonLines(fork2.stdout)[0].episode_id)
  episodes = [...stored.rows.map((r) => r.episodeId), child, grandchild]
  // Untouched, everything verifies (so every exit code below comes from the damage).
  const clean = await verifyAll(db)
  expect(clean.code, clean.stderr).toBe(0)
  expect(clean.rows.filter((r) => r.verified !== true)).toEqual([])
  expect(clean.rows.every((r) => r.chain_sealed_from === null && (r.findings as unknown[]).length === 0)).toBe(true)
})

describe("replay --all --verify names every kind of damage", () => {
  it("a deleted row", async () => {
    let seq = 0
    const path = await damaged("deleted", (raw) => {
      seq = firstSeq(rowsOf(raw, victim), liveMessage)
      expect(raw.prepare("DELETE FROM events WHERE episode_id = ? AND seq = ?").run(victim, seq).changes).toBe(1)
    })
    await expectNamed(path, [
      { kind: "seq-gap", seq },
      { kind: "chain", seq: seq + 1, looks_like: "deleted" },
    ])
  })

  it("a deleted row with the later rows renumbered to close the gap", async () => {
    let seq = 0
    const path = await damaged("deleted-renumbered", (raw) => {
      seq = firstSeq(rowsOf(raw, victim), liveMessage)
      raw.prepare("DELETE FROM events WHERE episode_id = ? AND seq = ?").run(victim, seq)
      raw.prepare("UPDATE events SET seq = -(seq - 1) WHERE episode_id = ? AND seq > ?").run(victim, seq)
      raw.prepare("UPDATE events SET seq = -seq WHERE episode_id = ? AND seq < 0").run(victim)
      raw.prepare("UPDATE episodes SET version = version - 1 WHERE episode_id = ?").run(victim)
    })
    const { findings } = await expectNamed(path, [{ kind: "chain", seq, looks_like: "deleted" }])
    expect(findings.some((f) => f.kind === "seq-gap")).toBe(false)
  })

  it("an edited message text", async () => {
    let seq = 0
    const path = await damaged("message", (raw) => {
      const rows = rowsOf(raw, victim)
      seq = firstSeq(rows, liveMessage)
      const body = JSON.parse(rows[seq].body)
      raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run(JSON.stringify({ ...body, text: `${body.text} (edited)` }), victim, seq)
    })
    await expectNamed(path, [{ kind: "chain", seq, looks_like: "edited" }])
  })

  it("an edited tool output (the chain and re-execution both name it)", async () => {
    let seq = 0
    const path = await damaged("output", (raw) => {
      const rows = rowsOf(raw, victim)
      seq = firstSeq(rows, liveTool)
      const body = JSON.parse(rows[seq].body)
      raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run(JSON.stringify({ ...body, output: `${body.output}!` }), victim, seq)
    })
    await expectNamed(path, [
      { kind: "chain", seq, looks_like: "edited" },
      { kind: "determinism", seq, path: "output" },
    ])
  })

  it("an edited tool output with every later hash recomputed (only re-execution can tell)", async () => {
    let seq = 0
    const path = await damaged("output-rehashed", (raw) => {
      const rows = rowsOf(raw, victim)
      seq = firstSeq(rows, liveTool)
      const body = JSON.parse(rows[seq].body)
      raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run(JSON.stringify({ ...body, output: `${body.output}!` }), victim, seq)
      let prev = seq === 0 ? "" : (rows[seq - 1].hash ?? "")
      for (const row of rowsOf(raw, victim).filter((r) => r.seq >= seq)) {
        prev = chainHash(victim, prev, row.seq, row.tag, row.v, row.body)
        raw.prepare("UPDATE events SET hash = ? WHERE episode_id = ? AND seq = ?").run(prev, victim, row.seq)
      }
    })
    const { findings } = await expectNamed(path, [{ kind: "determinism", seq, path: "output" }])
    expect(findings.map((f) => f.kind)).toEqual(["determinism"])
  })

  it("an inserted row (a copy of another event, later rows renumbered)", async () => {
    let seq = 0
    const path = await damaged("inserted", (raw) => {
      const rows = rowsOf(raw, victim)
      seq = firstSeq(rows, liveMessage) + 1
      raw.prepare("UPDATE events SET seq = -(seq + 1) WHERE episode_id = ? AND seq >= ?").run(victim, seq)
      raw.prepare("UPDATE events SET seq = -seq WHERE episode_id = ? AND seq < 0").run(victim)
      const copy = rows[seq - 1]
      raw
        .prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(victim, seq, new Date().toISOString(), copy.tag, copy.v, copy.body, copy.hash)
      raw.prepare("UPDATE episodes SET version = version + 1 WHERE episode_id = ?").run(victim)
    })
    await expectNamed(path, [{ kind: "chain", seq, looks_like: "inserted" }])
  })

  it("two rows swapped", async () => {
    let first = 0
    const path = await damaged("swapped", (raw) => {
      const rows = rowsOf(raw, victim)
      first = firstSeq(rows, liveMessage)
      const second = first + 1
      const move = raw.prepare("UPDATE events SET seq = ? WHERE episode_id = ? AND seq = ?")
      move.run(-1, victim, first)
      move.run(first, victim, second)
      move.run(second, victim, -1)
    })
    // (Two neighbours swapped look to the chain like one row slipped in before the other.)
    await expectNamed(path, [{ kind: "chain", seq: first }])
  })

  it("two rows further apart swapped", async () => {
    let first = 0
    let second = 0
    const path = await damaged("swapped-apart", (raw) => {
      const rows = rowsOf(raw, victim)
      first = firstSeq(rows, liveMessage)
      second = first + 3
      const move = raw.prepare("UPDATE events SET seq = ? WHERE episode_id = ? AND seq = ?")
      move.run(-1, victim, first)
      move.run(first, victim, second)
      move.run(second, victim, -1)
    })
    await expectNamed(path, [
      { kind: "chain", seq: first, looks_like: "reordered" },
      { kind: "chain", seq: second, looks_like: "reordered" },
    ])
  })

  it("an event after EpisodeEnded, even with a valid hash and read model", async () => {
    let seq = 0
    const path = await damaged("after-end", (raw) => {
      const rows = rowsOf(raw, victim)
      const last = rows[rows.length - 1]
      expect(JSON.parse(last.body)._tag).toBe("EpisodeEnded")
      seq = last.seq + 1
      const body = JSON.stringify({ _tag: "MessageSent", v: 1, role: "agent", text: "one more thing", toolCalls: [] })
      const hash = chainHash(victim, last.hash ?? "", seq, "MessageSent", 1, body)
      raw
        .prepare("INSERT INTO events (episode_id, seq, recorded_at, tag, v, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(victim, seq, new Date().toISOString(), "MessageSent", 1, body, hash)
      raw.prepare("UPDATE episodes SET version = version + 1 WHERE episode_id = ?").run(victim)
    })
    const { findings } = await expectNamed(path, [{ kind: "after-end", seq }])
    expect(findings.map((f) => f.kind)).toEqual(["after-end"])
  })

  it("a body that is not JSON", async () => {
    let seq = 0
    const path = await damaged("not-json", (raw) => {
      seq = firstSeq(rowsOf(raw, victim), liveTool)
      raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run('{"_tag": "ToolExecuted", "v": 1, "output": "cut of', victim, seq)
    })
    await expectNamed(path, [{ kind: "unreadable", seq }])
  })

  it("an altered read model", async () => {
    const path = await damaged("read-model", (raw) => {
      expect(raw.prepare("UPDATE episodes SET termination_reason = 'agent_stop' WHERE episode_id = ?").run(victim).changes).toBe(1)
    })
    const { findings } = await expectNamed(path, [{ kind: "read-model", seq: null }])
    expect(findings.map((f) => f.kind)).toEqual(["read-model"])
  })

  it("a deleted read-model row: the stream is still found by --all and named", async () => {
    const path = await damaged("read-model-row", (raw) => {
      expect(raw.prepare("DELETE FROM episodes WHERE episode_id = ?").run(victim).changes).toBe(1)
    })
    const { findings } = await expectNamed(path, [{ kind: "read-model", seq: null }])
    expect(findings.map((f) => f.kind)).toEqual(["read-model"])
  })

  it("damage to a parent's prefix is named in the fork that inherits it, as the parent's row", async () => {
    let seq = 0
    const path = await damaged("inherited", (raw) => {
      const rows = rowsOf(raw, parent)
      seq = firstSeq(rows, liveMessage)
      const body = JSON.parse(rows[seq].body)
      raw.prepare("UPDATE events SET body = ? WHERE episode_id = ? AND seq = ?").run(JSON.stringify({ ...body, text: "edited" }), parent, seq)
    })
    const { code, rows } = await verifyAll(path)
    expect(code).toBe(2)
    expect(
      rows
        .filter((r) => r.verified !== true)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual([parent, child, grandchild].sort())
    const childFindings = rows.find((r) => r.episode_id === child)?.findings as FindingRow[]
    expect(childFindings).toContainEqual(expect.objectContaining({ kind: "chain", episode_id: parent, seq, looks_like: "edited" }))
    const grandchildFindings = rows.find((r) => r.episode_id === grandchild)?.findings as FindingRow[]
    expect(grandchildFindings).toContainEqual(expect.objectContaining({ kind: "chain", episode_id: parent, seq, looks_like: "edited" }))
  })

  it("a fork of a fork inherits exactly its prefix: damage to the child after it is not the grandchild's", async () => {
    const forks = await storedRun(db, `${RUN}~forks`)
    const startOf = (id: string) => {
      const e = forks.events[id][0].event
      if (e._tag !== "EpisodeStarted" || !e.parent) throw new Error(`${id} is not a fork`)
      return e.parent.seq
    }
    // The grandchild's fork point counts the child's whole history; the child inherited `before` of it.
    const before = startOf(child)
    const lastInherited = startOf(grandchild) - before - 1
    expect(lastInherited).toBeGreaterThanOrEqual(1)
    const edit = (seq: number) => (raw: Database.Database) => {
      expect(raw.prepare("UPDATE events SET body = body || ' ' WHERE episode_id = ? AND seq = ?").run(child, seq).changes).toBe(1)
    }
    const inside = await verifyAll(await damaged("grandchild-inside", edit(lastInherited)))
    expect(
      inside.rows
        .filter((r) => r.verified !== true)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual([child, grandchild].sort())
    expect(inside.rows.find((r) => r.episode_id === grandchild)?.findings).toEqual([
      expect.objectContaining({ kind: "chain", episode_id: child, seq: lastInherited, looks_like: "edited" }),
    ])
    const outside = await verifyAll(await damaged("grandchild-outside", edit(lastInherited + 1)))
    expect(outside.code).toBe(2)
    expect(outside.rows.filter((r) => r.verified !== true).map((r) => r.episode_id)).toEqual([child])
  })

  it("a store hashed at its upgrade verifies and says from where the chain was sealed", async () => {
    const path = await damaged("pre-chain", (raw) => {
      // What a store written before the chain existed looks like to migration 3.
      raw.exec("UPDATE events SET hash = NULL; DELETE FROM chain_seals; PRAGMA user_version = 2")
    })
    const { code, rows } = await verifyAll(path)
    expect(code).toBe(0)
    expect(rows.every((r) => r.verified === true)).toBe(true)
    const row = rows.find((r) => r.episode_id === victim) as Record<string, unknown>
    expect(row.chain_sealed_from).toEqual({ throughSeq: Number(row.events) - 1, sealedAt: expect.any(String) })
  })

  it("the table lists the kinds found per episode", async () => {
    const path = await damaged("table", (raw) => {
      raw.prepare("UPDATE episodes SET termination_reason = 'agent_stop' WHERE episode_id = ?").run(victim)
    })
    const { code, stdout } = await tau(["replay", "--all", "--verify", "--db", path], tmp.root)
    expect(code).toBe(2)
    expect(stdout).toMatch(new RegExp(`${victim}\\s+\\d+\\s+\\d+\\s+user_stop\\s+NO\\s+read-model`))
    expect(stdout).toMatch(new RegExp(`${victim}:\\n  seq - read-model: read model terminationReason`))
    expect(stdout).toContain(`${episodes.length} episodes replayed, ${episodes.length - 1} verified, 1 with findings`)
  })
})

describe("an unreadable episode never blocks the store", () => {
  let path = ""
  let seq = 0
  beforeAll(async () => {
    path = await damaged("unreadable", (raw) => {
      seq = firstSeq(rowsOf(raw, victim), liveTool)
      raw.prepare("UPDATE events SET body = 'not json' WHERE episode_id = ? AND seq = ?").run(victim, seq)
    })
  })

  it("replay --all names it with its seq, replays the others and exits 3", async () => {
    const { code, stdout, stderr } = await tau(["replay", "--all", "--json", "--db", path], tmp.root)
    expect(code).toBe(3)
    expect(stderr).toContain(`${victim} (seq ${seq}): event ${victim}#${seq} cannot be read`)
    expect(
      jsonLines(stdout)
        .map((r) => r.episode_id)
        .sort(),
    ).toEqual(episodes.filter((e) => e !== victim).sort())
  })

  it("show is an error naming the episode and seq", async () => {
    const { code, stderr } = await tau(["show", victim, "--db", path], tmp.root)
    expect(code).toBe(1)
    expect(stderr).toContain(`event ${victim}#${seq} cannot be read`)
  })

  it("unknown episode and run ids are errors naming the store", async () => {
    for (const args of [
      ["replay", "ep_nope"],
      ["replay", "ep_nope", "--verify"],
      ["show", "ep_nope"],
    ]) {
      const r = await tau([...args, "--db", path], tmp.root)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`episode ep_nope not found in ${path}`)
    }
    const run = await tau(["replay", "--run", "run_nope", "--verify", "--db", path], tmp.root)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`run run_nope not found in ${path}`)
  })
})
