/** The chain hash of a big body (hashed in two updates, never joined) is the scheme's digest of the joined fields. */
import { hash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { CHAIN_LABEL, chainHash } from "../../src/store/chain.ts"

const joined = (episodeId: string, prev: string, seq: number, tag: string, v: number, body: string) =>
  hash("sha256", [CHAIN_LABEL, episodeId, prev, String(seq), tag, String(v), body].join("\u0000"), "hex")

describe("chainHash", () => {
  it("is sha256 of the NUL-joined fields, for small and big bodies alike", () => {
    for (const body of ["{}", "é".repeat(1000), `{"text":"${"x\\n\u00e9".repeat(400_000)}"}`]) {
      assert.strictEqual(chainHash("ep-1", "a".repeat(64), 7, "MessageSent", 1, body), joined("ep-1", "a".repeat(64), 7, "MessageSent", 1, body))
    }
  })
})
