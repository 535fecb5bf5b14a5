/**
 * The exported store conformance suite on a real PostgreSQL (started for this file): every test
 * gets a fresh store, a schema of its own in one database (the URL's `options` set its search_path).
 */
import { runEventStoreConformance } from "@tau-sim/engine/testing"
import { openPostgresStore } from "../src/postgres.ts"
import { needsPostgres } from "../testing/index.ts"

const pg = needsPostgres()
let schemas = 0

pg.describe("postgres", () => {
  runEventStoreConformance("postgres", () => {
    const server = pg.server()
    const schema = `conformance_${schemas++}`
    server.psql("postgres", `CREATE SCHEMA ${schema}`)
    return openPostgresStore(`${server.url("postgres")}?options=${encodeURIComponent(`-c search_path=${schema}`)}`)
  })
})
