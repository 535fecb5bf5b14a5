/**
 * The hash chain that makes each episode stream tamper-evident: every stored row carries a sha256
 * over its episode, position and content, and over the hash of the row before it. Editing,
 * deleting, inserting or reordering a row therefore breaks the chain at that row (unless every
 * later hash is recomputed too: the chain has no secret, it detects damage, not a forger).
 */
import { createHash, hash } from "node:crypto"

/** Names the hash scheme; a new scheme gets a new label so old and new hashes never collide. */
export const CHAIN_LABEL = "tau-sim/chain/v1"

/** What a row's hash chains from at seq 0. */
export const CHAIN_START = ""

/**
 * The hash of the row at `seq` whose predecessor's hash is `prevHash` (`CHAIN_START` at seq 0):
 * sha256 hex of the fields joined by NUL. (One-shot `hash` is markedly cheaper than `createHash`
 * on the append path.)
 */
export const chainHash = (episodeId: string, prevHash: string, seq: number, tag: string, v: number, body: string): string => {
  const head = `${CHAIN_LABEL}\u0000${episodeId}\u0000${prevHash}\u0000${seq}\u0000${tag}\u0000${v}\u0000`
  // A big body is hashed after the fields, not joined to them: the joined text would be a copy of it.
  if (body.length >= BIG_BODY) return createHash("sha256").update(head).update(body).digest("hex")
  return hash("sha256", head + body, "hex")
}

/** Bodies from this length on are hashed in two updates (same digest). */
const BIG_BODY = 1 << 20

/**
 * The predecessor hash a row chains from, given the stored hash of the row before it. A row
 * after an unhashed (raw-written) row chains from `CHAIN_START`, so one unsealed row does not
 * break every hash after it.
 */
export const chainFrom = (previousHash: string | null | undefined): string => previousHash ?? CHAIN_START

/** The hashes of consecutive rows appended after a row whose hash is `prevHash`. */
export const chainRows = (
  episodeId: string,
  prevHash: string,
  rows: ReadonlyArray<{ readonly seq: number; readonly tag: string; readonly v: number; readonly body: string }>,
): Array<string> => {
  const hashes: Array<string> = []
  let prev = prevHash
  for (const row of rows) {
    prev = chainHash(episodeId, prev, row.seq, row.tag, row.v, row.body)
    hashes.push(prev)
  }
  return hashes
}
