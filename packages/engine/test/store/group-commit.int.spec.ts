/**
 * Group commit (`group-commit.ts`) on real SQLite: concurrent appends share transactions, each
 * stays all or nothing on its own, a group whose transaction dies is written again item by item,
 * and an interrupted appender's write still completes. Then the store: 64 concurrent episodes'
 * appends, with two racing writers of one stream among them, against a real file.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Cause, Effect, Exit, Fiber } from "effect"
import { afterAll } from "vitest"
import { groupCommit } from "../../src/store/group-commit.ts"
import { openSqliteStore } from "../../src/store/sqlite.ts"
import { VersionConflict } from "../../src/store/event-store.ts"
import { agentMessage, started, userMessage } from "@tau-sim/engine/testing"

const root = mkdtempSync(join(tmpdir(), "tau-sim-group-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Item {
  readonly key: string
  /** Rows the item writes, then what it does last. */
  readonly rows: number
  readonly last?: "throw" | "end-transaction"
}

/** A table on a real file, and a group commit whose transactions are counted. */
const setup = (name: string) => {
  const db = new Database(join(root, `${name}.db`))
  db.pragma("journal_mode = WAL")
  db.exec("CREATE TABLE t (key TEXT NOT NULL, n INTEGER NOT NULL)")
  const insert = db.prepare("INSERT INTO t (key, n) VALUES (?, ?)")
  const tx = db.transaction((body: () => unknown) => body())
  const stats = { transactions: 0, commits: [] as Array<number> }
  const failNextCommit = { armed: false }
  const failNextNotice = { armed: false }
  const group = groupCommit<Item, string, string>({
    write: (item) => {
      for (let n = 0; n < item.rows; n++) insert.run(item.key, n)
      if (item.last === "throw") throw new Error(`item ${item.key} refused`)
      // Ends the whole transaction from inside, as SQLite does on a full disk.
      if (item.last === "end-transaction" && db.inTransaction) {
        db.exec("ROLLBACK")
        throw new Error(`item ${item.key}: the transaction ended`)
      }
      return item.key
    },
    transaction: <R>(body: () => R) => {
      stats.transactions++
      return tx.immediate(() => {
        const result = body()
        if (failNextCommit.armed) {
          failNextCommit.armed = false
          throw new Error("commit failed")
        }
        return result
      }) as R
    },
    savepoint: <R>(body: () => R) => tx(body) as R,
    inTransaction: () => db.inTransaction,
    error: (e) => (e instanceof Error ? e.message : String(e)),
    committed: (items) => {
      stats.commits.push(items.length)
      if (failNextNotice.armed) {
        failNextNotice.armed = false
        throw new Error("the notice failed")
      }
    },
  })
  const rows = (key: string) => (db.prepare("SELECT count(*) AS n FROM t WHERE key = ?").get(key) as { n: number }).n
  return { db, group, stats, rows, failNextCommit, failNextNotice }
}

const submitAll = (group: ReturnType<typeof setup>["group"], items: ReadonlyArray<Item>) =>
  Effect.runPromise(Effect.forEach(items, (item) => Effect.exit(group.submit(item)), { concurrency: "unbounded" }))

describe("group commit", () => {
  it("concurrent appends share one transaction, and all are written", async () => {
    const { db, group, stats, rows } = setup("share")
    const items = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, rows: 3 }))
    const exits = await submitAll(group, items)
    assert.deepStrictEqual(
      exits.map((e) => (Exit.isSuccess(e) ? e.value : "failed")),
      items.map((i) => i.key),
    )
    assert.isBelow(stats.transactions, 5, `50 concurrent appends took ${stats.transactions} transactions`)
    for (const item of items) assert.strictEqual(rows(item.key), 3)
    db.close()
  })

  it("an append alone runs in its own transaction, also under runSync", () => {
    const { db, group, stats, rows } = setup("alone")
    assert.strictEqual(Effect.runSync(group.submit({ key: "solo", rows: 2 })), "solo")
    assert.deepStrictEqual(stats.commits, [1])
    assert.strictEqual(rows("solo"), 2)
    db.close()
  })

  it("a refused append is rolled back alone; the rest of its group commits", async () => {
    const { db, group, stats, rows } = setup("refused")
    const exits = await submitAll(group, [
      { key: "a", rows: 2 },
      { key: "bad", rows: 5, last: "throw" },
      { key: "c", rows: 2 },
    ])
    assert.deepStrictEqual(stats.commits, [3])
    assert.isTrue(Exit.isSuccess(exits[0]) && Exit.isSuccess(exits[2]))
    assert.deepStrictEqual(exits[1], Exit.fail("item bad refused"))
    assert.deepStrictEqual([rows("a"), rows("bad"), rows("c")], [2, 0, 2])
    db.close()
  })

  it("a group whose transaction ends under it is written again item by item, each with its own outcome", async () => {
    const { db, group, stats, rows } = setup("ended")
    const exits = await submitAll(group, [
      { key: "a", rows: 2 },
      { key: "ender", rows: 1, last: "end-transaction" },
      { key: "c", rows: 2 },
    ])
    // The group's transaction, then a, ender and c alone (ender's ROLLBACK ends its own too).
    assert.strictEqual(stats.transactions, 4)
    assert.deepStrictEqual(stats.commits, [1, 1])
    assert.isTrue(Exit.isSuccess(exits[0]) && Exit.isSuccess(exits[2]))
    assert.isTrue(Exit.isFailure(exits[1]))
    assert.deepStrictEqual([rows("a"), rows("ender"), rows("c")], [2, 0, 2])
    db.close()
  })

  it("a failed commit writes the group again item by item", async () => {
    const { db, group, stats, rows, failNextCommit } = setup("commit")
    failNextCommit.armed = true
    const exits = await submitAll(group, [
      { key: "a", rows: 1 },
      { key: "b", rows: 1 },
    ])
    assert.isTrue(exits.every(Exit.isSuccess))
    assert.deepStrictEqual(stats.commits, [1, 1])
    assert.deepStrictEqual([rows("a"), rows("b")], [1, 1])
    db.close()
  })

  it("a notice of the commit that throws changes no outcome: the items are committed once, alone or in a group", async () => {
    const { db, group, rows, failNextNotice } = setup("notice")
    failNextNotice.armed = true
    assert.strictEqual(Effect.runSync(group.submit({ key: "solo", rows: 1 })), "solo")
    failNextNotice.armed = true
    const exits = await submitAll(group, [
      { key: "a", rows: 1 },
      { key: "b", rows: 1 },
    ])
    assert.deepStrictEqual(exits, [Exit.succeed("a"), Exit.succeed("b")])
    assert.deepStrictEqual([rows("solo"), rows("a"), rows("b")], [1, 1, 1])
    db.close()
  })

  it("interrupting the appender that leads a group neither loses its append nor strands the group", async () => {
    const { db, group, rows } = setup("interrupt")
    const program = Effect.gen(function* () {
      // Forked fibers start in order: the leader opens a group and yields, the follower joins
      // it, and the third interrupts the leader while it yields, before the group is written.
      const leader = yield* Effect.forkChild(group.submit({ key: "leader", rows: 1 }))
      const follower = yield* Effect.forkChild(group.submit({ key: "follower", rows: 1 }))
      yield* Effect.forkChild(Fiber.interrupt(leader))
      return [yield* Effect.exit(Fiber.join(leader)), yield* Effect.exit(Fiber.join(follower))] as const
    })
    const [leader, follower] = await Effect.runPromise(program)
    assert.deepStrictEqual(follower, Exit.succeed("follower"))
    // The leader's fiber ends interrupted, but only once the group is written.
    assert.isTrue(Exit.isFailure(leader) && Cause.hasInterrupts(leader.cause))
    assert.deepStrictEqual([rows("leader"), rows("follower")], [1, 1])
    db.close()
  })
})

describe("group commit in the SQLite store", () => {
  it("64 concurrent episodes append in groups; of two racing writers of one stream exactly one wins", async () => {
    const handle = openSqliteStore(join(root, "store.db"))
    const { store } = handle
    const episode = (i: number) =>
      Effect.gen(function* () {
        const id = `ep-${i}`
        let version = yield* store.append(id, 0, [started(id)])
        for (let turn = 0; turn < 5; turn++) {
          version = yield* store.append(id, version, [userMessage(`turn ${turn}`), agentMessage(`answer ${turn}`)])
        }
        return version
      })
    const race = Effect.gen(function* () {
      yield* store.append("raced", 0, [started("raced")])
      return yield* Effect.forEach([1, 2], (n) => Effect.exit(store.append("raced", 1, [userMessage(`writer ${n}`)])), { concurrency: 2 })
    })
    const [versions, raced] = await Effect.runPromise(
      Effect.all(
        [
          Effect.forEach(
            Array.from({ length: 64 }, (_, i) => i),
            episode,
            { concurrency: "unbounded" },
          ),
          race,
        ],
        { concurrency: 2 },
      ),
    )
    assert.deepStrictEqual(
      versions,
      Array.from({ length: 64 }, () => 11),
    )
    assert.strictEqual(raced.filter(Exit.isSuccess).length, 1)
    const lost = raced.find(Exit.isFailure)
    assert.isTrue(lost !== undefined && Exit.isFailure(lost) && Cause.squash(lost.cause) instanceof VersionConflict)
    for (let i = 0; i < 64; i++) {
      const events = await Effect.runPromise(store.read(`ep-${i}`))
      assert.deepStrictEqual(
        events.map((e) => e.seq),
        Array.from({ length: 11 }, (_, s) => s),
      )
    }
    assert.strictEqual((await Effect.runPromise(store.read("raced"))).length, 2)
    handle.close()
  })
})
