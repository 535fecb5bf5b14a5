/**
 * `@tau-sim/store-pg/testing`: a throwaway PostgreSQL for test files (./server.ts). A file declares
 * `const pg = needsPostgres()`, writes its suites with `pg.describe(...)` and takes the server
 * from `pg.server()` inside them (started before the suite's tests, stopped after them, also when
 * they fail). Without PostgreSQL (and no way to install it) the suites are skipped with one line
 * saying why; under `CI=true` the file fails instead, never a silent skip.
 */
import { afterAll, beforeAll, describe } from "vitest"
import { postgresBinDir, startPostgres, type TestPostgres } from "./server.ts"

export { postgresBinDir, startPostgres, type TestPostgres } from "./server.ts"

export interface PostgresNeed {
  readonly present: boolean
  /** `describe` whose suite has a server running (`server()`), or a `describe.skip` when there is none. */
  readonly describe: (name: string, body: () => void) => void
  /** The running server (inside a `describe` of this need). */
  readonly server: () => TestPostgres
}

export const needsPostgres = (): PostgresNeed => {
  const found = postgresBinDir()
  if ("missing" in found) {
    const notice = `PostgreSQL tests skipped: ${found.missing}`
    if (process.env.CI === "true") throw new Error(`${notice} (CI=true: a missing PostgreSQL fails the run, never skips it)`)
    console.warn(notice)
    return {
      present: false,
      describe: (name, body) => describe.skip(name, body),
      server: () => {
        throw new Error(notice)
      },
    }
  }
  let current: TestPostgres | undefined
  return {
    present: true,
    describe: (name, body) =>
      describe(name, () => {
        beforeAll(async () => {
          current = await startPostgres(found.bin)
        })
        afterAll(() => {
          current?.stop()
          current = undefined
        })
        body()
      }),
    server: () => {
      if (!current) throw new Error("no PostgreSQL server: server() is for the tests inside needsPostgres().describe")
      return current
    },
  }
}
