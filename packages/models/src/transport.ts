/**
 * The HTTP transport under the AI SDK providers: a `fetch` over node:http(s) with keep-alive
 * connection pools. It does what the providers need (POST a JSON body, read a JSON or SSE answer,
 * abort on a signal) at about half the CPU cost per request of the platform `fetch`, which is what
 * bounds throughput when one process drives dozens of concurrent episodes.
 */
import * as http from "node:http"
import * as https from "node:https"
import { Readable } from "node:stream"
import * as zlib from "node:zlib"

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
}

const NO_BODY_STATUSES = new Set([101, 204, 205, 304])

/** Leading and trailing HTTP whitespace, which `Headers` strips from values. */
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g

const plainHeaders = (init: RequestInit["headers"]): Record<string, string> => {
  // The providers pass a plain record: read it as `Headers` would (names lower-cased, values
  // trimmed, repeated names joined), without building one on every request.
  if (init != null && Object.getPrototypeOf(init) === Object.prototype) {
    const out: Record<string, string> = Object.create(null)
    for (const [key, value] of Object.entries(init as Record<string, string>)) {
      const name = key.toLowerCase()
      const v = String(value).replace(HTTP_WHITESPACE, "")
      out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${v}` : v
    }
    return out
  }
  const out: Record<string, string> = {}
  new Headers(init).forEach((value, key) => {
    out[key] = value
  })
  return out
}

const decoded = (res: http.IncomingMessage): Readable => {
  switch (res.headers["content-encoding"]) {
    case "gzip":
      return res.pipe(zlib.createGunzip())
    case "deflate":
      return res.pipe(zlib.createInflate())
    case "br":
      return res.pipe(zlib.createBrotliDecompress())
    default:
      return res
  }
}

const abortError = (signal: AbortSignal): unknown => signal.reason ?? new DOMException("This operation was aborted", "AbortError")

/** A `fetch` for provider calls; network failures surface like the platform's (`TypeError: fetch failed`). */
export const keepAliveFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
  new Promise((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const agent = agents[url.protocol as keyof typeof agents]
    if (!agent) {
      reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`))
      return
    }
    const signal = init.signal ?? undefined
    if (signal?.aborted) {
      reject(abortError(signal))
      return
    }
    const body = typeof init.body === "string" ? init.body : init.body == null ? undefined : String(init.body)
    const headers = plainHeaders(init.headers)
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body))
    const request = (url.protocol === "https:" ? https : http).request(url, { method: init.method ?? "GET", headers, agent, signal }, (res) => {
      const responseHeaders = new Headers()
      for (const [key, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(", ") : value)
      }
      const status = res.statusCode ?? 0
      if (NO_BODY_STATUSES.has(status)) {
        res.resume()
        resolve(new Response(null, { status, headers: responseHeaders }))
        return
      }
      const stream = decoded(res)
      if (String(res.headers["content-type"] ?? "").includes("text/event-stream")) {
        // Streams are handed over as they arrive.
        resolve(new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers: responseHeaders }))
        return
      }
      const chunks: Buffer[] = []
      stream.on("data", (c: Buffer) => chunks.push(c))
      stream.on("end", () => resolve(new Response(Buffer.concat(chunks), { status, headers: responseHeaders })))
      stream.on("error", (e) => reject(signal?.aborted ? abortError(signal) : new TypeError("fetch failed", { cause: e })))
    })
    request.on("error", (e) => reject(signal?.aborted ? abortError(signal) : new TypeError("fetch failed", { cause: e })))
    request.end(body)
  })
