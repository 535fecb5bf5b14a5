/**
 * WAL checkpoints off the writer's thread. SQLite copies the write-ahead log back into the
 * database, and syncs both files, inside whichever commit takes the log past ~4 MB (its automatic
 * checkpoint): a write-heavy process stalls there, its event loop and every episode on it, for as
 * long as the disk takes. Once a store has written that much, this starts a worker thread with its
 * own connection that runs the same (PASSIVE) checkpoint whenever the writer has added about as
 * much again, while the writer goes on. The writer's own automatic checkpoint stays, at four
 * times the usual log: the log starts over from its beginning only when a writer finds all of it
 * copied, which a worker running beside a continuous writer never quite achieves, so now and then
 * the writer copies the little the worker has not (and it is the safety net should the worker fail).
 *
 * Nothing about what a commit guarantees changes: a commit is in the log (synchronous = NORMAL)
 * before it returns, as before; a checkpoint only moves committed pages into the database file.
 */
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import type Database from "better-sqlite3"

/** Log bytes between checkpoints: SQLite's default automatic checkpoint (1000 pages of 4 KiB). */
const CHECKPOINT_BYTES = 4_096_000
const SQLITE_AUTOCHECKPOINT_PAGES = 1000
/** The writer's own automatic checkpoint once the worker runs (pages): the log's restart, and the safety net. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 4000
/** What a commit adds to the log beyond its rows: the pages of the indexes and read models it touches. */
const PAGES_PER_COMMIT = 3
const PAGE_BYTES = 4096
/** Rows take about this much more room in the log than their bodies (keys, hashes, indexes). */
const ROW_OVERHEAD = 1.5

const IDLE = 0
const DUE = 1
const STOP = 2
const CLOSED = 3
/** How long closing the store waits for the worker to close its connection (ms). */
const CLOSE_WAIT_MS = 10_000

// CommonJS, evaluated: a file beside this one would be missing from the CLI's bundle.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads")
const flag = new Int32Array(workerData.flag)
try {
  const Database = require(workerData.driver)
  const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 })
  try {
    for (;;) {
      Atomics.wait(flag, 0, ${IDLE})
      if (Atomics.compareExchange(flag, 0, ${DUE}, ${IDLE}) === ${STOP}) break
      try { db.pragma("wal_checkpoint(PASSIVE)") } catch {}
    }
  } finally {
    db.close()
  }
} finally {
  Atomics.store(flag, 0, ${CLOSED})
  Atomics.notify(flag, 0)
}
`

export interface Checkpointer {
  /** A write transaction committed about `bytes` of row content. */
  readonly committed: (bytes: number) => void
  /**
   * Stops the worker and waits until it has closed its connection, so that the writer's close is
   * the last one and does the final checkpoint (the database file alone holds everything, as
   * without a worker). Idempotent.
   */
  readonly close: () => void
}

/** The checkpointer of the WAL database `client` has open at `path`. */
export const walCheckpointer = (client: Database.Database, path: string): Checkpointer => {
  let pending = 0
  let flag: Int32Array | undefined
  let worker: Worker | undefined
  let failed = false

  const fail = (): void => {
    failed = true
    worker = undefined
    flag = undefined
    if (client.open) client.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`)
  }

  const start = (): void => {
    try {
      flag = new Int32Array(new SharedArrayBuffer(4))
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), path, flag: flag.buffer },
      })
      // The worker never keeps the process alive, and a failed one leaves checkpoints to SQLite.
      worker.unref()
      worker.on("error", fail)
      client.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
    } catch {
      fail()
    }
  }

  return {
    committed: (bytes) => {
      if (failed) return
      pending += bytes * ROW_OVERHEAD + PAGES_PER_COMMIT * PAGE_BYTES
      if (pending < CHECKPOINT_BYTES) return
      pending = 0
      if (!worker || !flag) return start()
      const was = Atomics.compareExchange(flag, 0, IDLE, DUE)
      if (was === IDLE) Atomics.notify(flag, 0)
      else if (was === CLOSED) fail()
    },
    close: () => {
      if (flag && worker) {
        if (Atomics.exchange(flag, 0, STOP) !== CLOSED) {
          Atomics.notify(flag, 0)
          for (let v = Atomics.load(flag, 0); v !== CLOSED; v = Atomics.load(flag, 0)) {
            if (Atomics.wait(flag, 0, v, CLOSE_WAIT_MS) === "timed-out") break
          }
        }
      }
      flag = undefined
      worker = undefined
    },
  }
}
