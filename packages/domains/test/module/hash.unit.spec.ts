/**
 * The data hash of a domain given by path: its files, not an event store kept in its folder
 * (`tau run --domain . --db shop.db` writes the store there; hashed, every run would make its own
 * episodes "data changed").
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, expect, it } from "vitest"
import { domainFiles, hashDomainFiles } from "../../src/module/load.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tau-domain-hash-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

it("leaves a SQLite store and its journals in the folder out of the hash, and still sees an edit of its data", () => {
  fs.writeFileSync(path.join(dir, "index.ts"), "export default 1\n")
  fs.writeFileSync(path.join(dir, "data.json"), "{}\n")
  const before = hashDomainFiles(dir)
  const db = new DatabaseSync(path.join(dir, "shop.db"))
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)")
  expect(fs.existsSync(path.join(dir, "shop.db-wal"))).toBe(true)
  expect(domainFiles(dir)).toEqual(["data.json", "index.ts"])
  expect(hashDomainFiles(dir)).toBe(before)
  db.exec("INSERT INTO t VALUES (2)")
  expect(hashDomainFiles(dir)).toBe(before)
  db.close()
  fs.writeFileSync(path.join(dir, "data.json"), '{"a": 1}\n')
  expect(hashDomainFiles(dir)).not.toBe(before)
})
