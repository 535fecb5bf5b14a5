/** The API's query parsing and the token check, without a server. */
import { describe, expect, it } from "vitest"
import { episodeQueryOf, tokenMatches } from "../src/server/index.ts"

const q = (search: string) => episodeQueryOf(new URL(`http://x/api/episodes?${search}`))

describe("episodes query", () => {
  it("has defaults: first page of 50 in start order", () => {
    expect(q("")).toMatchObject({ sort: "started", descending: false, offset: 0, limit: 50 })
  })

  it("reads every filter", () => {
    expect(
      q(
        "run=r&domain=demo&task=renew&termination=max_steps&status=ended&reward_min=0&reward_max=0.5&tool_errors=yes&agent=oracle&mode=no-user&scored_by=tau2@1&sort=reward&order=desc&offset=100&limit=20",
      ),
    ).toEqual({
      run: "r",
      domain: "demo",
      task: "renew",
      termination: "max_steps",
      status: "ended",
      rewardMin: 0,
      rewardMax: 0.5,
      toolErrors: true,
      agent: "oracle",
      mode: "no-user",
      scoredBy: "tau2@1",
      sort: "reward",
      descending: true,
      offset: 100,
      limit: 20,
    })
    expect(q("tool_errors=no").toolErrors).toBe(false)
  })

  it("refuses what does not parse, naming the parameter", () => {
    expect(() => q("limit=abc")).toThrow(/limit/)
    expect(() => q("limit=0")).toThrow(/limit: 0 is not a whole number in 1\.\.500/)
    expect(() => q("limit=501")).toThrow(/limit/)
    expect(() => q("offset=-1")).toThrow(/offset/)
    expect(() => q("reward_min=x")).toThrow(/reward_min/)
    expect(() => q("sort=rowid; DROP TABLE runs")).toThrow(/sort: .* is not one of started, episode/)
    expect(() => q("tool_errors=maybe")).toThrow(/tool_errors/)
  })
})

describe("token", () => {
  it("matches only the same token", () => {
    expect(tokenMatches("abc123", "abc123")).toBe(true)
    expect(tokenMatches("abc123", "abc124")).toBe(false)
    expect(tokenMatches("abc123", "abc1234")).toBe(false)
    expect(tokenMatches("abc123", "")).toBe(false)
    expect(tokenMatches("abc123", undefined)).toBe(false)
  })
})
