/** Credentials in URLs and specs: what is redacted, what is kept, and how a redacted spec is made live again. */
import { describe, expect, it } from "vitest"
import {
  CredentialsNotGiven,
  liveSpec,
  ModelSpecError,
  parseModelSpec,
  parseRateLimits,
  publicSpec,
  redactText,
  redactUrl,
  secretValues,
  urlSecrets,
} from "../src/index.ts"

describe("URL redaction", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["https://user:pass@host/v1", "https://***@host/v1"],
    ["https://tok3n-only@host/v1", "https://***@host/v1"],
    ["http://u:p@ss:w0rd@127.0.0.1:8080/v1", "http://***@127.0.0.1:8080/v1"],
    ["https://host/v1?api-key=k3y", "https://host/v1?api-key=***"],
    ["https://host/v1?apikey=a&api_key=b&key=c&token=d&access_token=e", "https://host/v1?apikey=***&api_key=***&key=***&token=***&access_token=***"],
    ["https://host/v1?API-KEY=k&X-Api-Key=x&sig=s", "https://host/v1?API-KEY=***&X-Api-Key=***&sig=***"],
    ["https://host/v1?api-version=2024-10-01&key=k&max_tokens=5", "https://host/v1?api-version=2024-10-01&key=***&max_tokens=5"],
    ["https://host/cb#access_token=t&state=x", "https://host/cb#access_token=***&state=x"],
    ["https://u:p@host/v1?token=t#key=k", "https://***@host/v1?token=***#key=***"],
    ["https://host/v1?key=", "https://host/v1?key="],
  ]
  it.each(cases)("%s -> %s", (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted)
    // Redacting twice changes nothing (printed text is redacted again on its way out).
    expect(redactUrl(redacted)).toBe(redacted)
  })

  it("leaves URLs without credentials byte for byte as they were", () => {
    for (const url of ["https://api.openai.com/v1", "http://127.0.0.1:11434/v1/", "https://h/v1?api-version=1&model=x", "https://h/a@b/c"]) {
      expect(redactUrl(url)).toBe(url)
    }
  })

  it("finds the credential values (raw and decoded) to replace wherever they are echoed", () => {
    expect(urlSecrets("https://al%40ice:p%3Ass@host/v1?api-key=k%2F1&model=m").sort()).toEqual(
      ["al%40ice", "al%40ice:p%3Ass", "al@ice", "al@ice:p:ss", "p%3Ass", "p:ss", "k%2F1", "k/1"].sort(),
    )
    expect(urlSecrets("https://***@host/v1?key=***")).toEqual([])
  })

  it("redacts every URL inside a text, keeping the text around it", () => {
    expect(redactText("GET http://user:s3cret@127.0.0.1:9/v1/chat?api-key=k3y failed, retrying", [])).toBe(
      "GET http://***@127.0.0.1:9/v1/chat?api-key=*** failed, retrying",
    )
    expect(redactText('{"baseURL":"https://a:b@h/v1","n":1}', [])).toBe('{"baseURL":"https://***@h/v1","n":1}')
    expect(redactText("agent compat:m@http://***@h/v1?api-key=***, user openai:m", [])).toBe("agent compat:m@http://***@h/v1?api-key=***, user openai:m")
  })

  it("counts base-URL credentials of the environment as secrets (long ones, as text)", () => {
    const env = { OPENAI_BASE_URL: "https://proxy-user:long-proxy-password@h/v1?token=short", COMPAT_API_KEY: "sk-compat-0123456789" }
    expect(secretValues(env)).toEqual(expect.arrayContaining(["long-proxy-password", "proxy-user:long-proxy-password", "sk-compat-0123456789"]))
    expect(secretValues(env)).not.toContain("short")
  })
})

describe("specs with credentials", () => {
  const LIVE = "compat:demo@http://user:s3cret@127.0.0.1:9/v1?api-key=k3y"
  const PUBLIC = "compat:demo@http://***@127.0.0.1:9/v1?api-key=***"

  it("are stored in their public form; this process keeps the live one", () => {
    expect(publicSpec(LIVE)).toBe(PUBLIC)
    expect(liveSpec(PUBLIC, {})).toBe(LIVE)
    expect(publicSpec(`${LIVE}{"temperature":0}`)).toBe(`${PUBLIC}{"temperature":0}`)
  })

  it("leave every other spec as it is", () => {
    for (const spec of ["oracle", "scripted", "scripted:/tmp/a@b.json", "openai:gpt-4.1", 'compat:llama@http://127.0.0.1:11434/v1{"seed":1}']) {
      expect(publicSpec(spec)).toBe(spec)
      expect(liveSpec(spec, {})).toBe(spec)
    }
  })

  it("are made live from COMPAT_BASE_URL in another process, matched by their public form", () => {
    const stored = "compat:other@https://***@models.example:8443/v1?key=***"
    const env = { COMPAT_BASE_URL: "https://x:y@elsewhere/v1 https://svc:pw-0042@models.example:8443/v1/?key=abc" }
    expect(liveSpec(stored, env)).toBe("compat:other@https://svc:pw-0042@models.example:8443/v1/?key=abc")
  })

  it("without their credentials are an error naming the variable", () => {
    const stored = "compat:missing@https://***@nowhere.example/v1"
    expect(() => liveSpec(stored, {})).toThrow(CredentialsNotGiven)
    expect(() => liveSpec(stored, { COMPAT_BASE_URL: "https://a:b@somewhere.else/v1" })).toThrow(/give the URL with them in COMPAT_BASE_URL/)
  })

  it("cannot carry keys in their generation arguments (they would be stored)", () => {
    expect(() => parseModelSpec('openai:gpt-4.1{"api_key":"sk-should-not-be-here"}')).toThrow(ModelSpecError)
    expect(() => parseModelSpec('compat:m@http://h/v1{"token":"t"}')).toThrow(/"token" would be stored with every episode; give keys in COMPAT_API_KEY/)
    try {
      parseModelSpec('compat:m@http://u:pw@h/v1{"key":"k"}')
    } catch (e) {
      expect(String(e)).not.toContain("pw")
    }
    expect(parseModelSpec('openai:gpt-4.1{"max_tokens":5}')?.args).toEqual({ max_tokens: 5 })
  })

  it("rate limits name endpoints by their redacted URL, as clients are keyed", () => {
    expect(parseRateLimits("compat@http://user:s3cret@h:1/v1?api-key=k3y=5")).toEqual({ "compat@http://***@h:1/v1?api-key=***": 5 })
    expect(() => parseRateLimits("compat@http://user:s3cret@h:1/v1=0")).toThrow(/compat@http:\/\/\*\*\*@h:1\/v1=0/)
    expect(() => parseRateLimits("openai=Infinity")).toThrow(RangeError)
  })
})
