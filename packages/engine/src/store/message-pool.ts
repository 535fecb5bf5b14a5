/**
 * The message pool (ADR 0004): a model call's conversation and tool set are stored once,
 * content-addressed, and the `ModelCalled` row refers to them.
 *
 * - A conversation is a chain of message nodes, like commits: node `{"prev": <address> | null,
 *   "message": <message>}`, so a call whose conversation extends the previous call's adds only its
 *   new messages, and the common prefix (the system prompt first) is shared by every call, episode
 *   and run that has it.
 * - A tool set (the request's `tools` array) is one blob.
 * - An address is `sha256:<hex>` of the blob's exact text.
 *
 * A pooled row's body is the event's body with `request.messages` and/or `request.tools` replaced
 * by `{"$ref": <address>}`, and `"$pool": 1` added; rows without the mark are read as they are
 * (everything written before migration 4). Rehydrating a pooled body gives back the very fields
 * that were pooled, in place, so the event read is the event appended.
 */
import { hash } from "node:crypto"

/** A content-addressed piece of a model request: a message node or a tool set. */
export interface Blob {
  readonly address: string
  readonly body: string
}

export const BLOB_SCHEME = "sha256:"

/** The address of a blob's text. */
export const blobAddress = (body: string): string => `${BLOB_SCHEME}${hash("sha256", body, "hex")}`

/** Marks a body whose request holds references. */
export const POOL_MARK = "$pool"

const ADDRESS = /^sha256:[0-9a-f]{64}$/

type Json = Record<string, unknown>
type Ref = { readonly $ref: string }

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** `{"$ref": <string>}` and nothing else. */
export const isRef = (v: unknown): v is Ref => isObject(v) && typeof v.$ref === "string" && Object.keys(v).length === 1

export const isPooled = (fields: Json): boolean => fields[POOL_MARK] === 1

/** The request fields that are pooled, and what each holds. */
export type PooledField = "messages" | "tools"

export interface PooledBody {
  /** The row's body: the event's JSON with references in place of the pooled fields. */
  readonly body: string
  /** Every blob the body refers to, directly or through a message chain. */
  readonly blobs: ReadonlyArray<Blob>
}

/** The node text of `message` after the node at `prev`. */
const nodeText = (prev: string | null, message: unknown): string => JSON.stringify({ prev, message })

/**
 * Bodies shorter than this are stored as they are: their references and nodes would take about
 * as much room as they save, and cost a lookup on every read. Every call a participant makes
 * carries its system prompt (the policy: kilobytes), so real model calls are always pooled.
 */
export const POOL_MIN_BYTES = 1024

/**
 * The pooled body of a `ModelCalled` event's encoded fields (`json` is their un-pooled text), or
 * undefined when it is not worth pooling: a short body, no request object, or an empty
 * conversation and tool set. A request whose `messages` or `tools` already looks like a
 * reference is never pooled, so a reference in a pooled row is always one.
 */
export const poolModelCall = (fields: Json, json: string): PooledBody | undefined => {
  if (json.length < POOL_MIN_BYTES) return undefined
  const request = fields.request
  if (!isObject(request) || isRef(request.messages) || isRef(request.tools)) return undefined
  const { messages, tools } = request
  const poolMessages = Array.isArray(messages) && messages.length > 0
  const poolTools = Array.isArray(tools) && tools.length > 0
  if (!poolMessages && !poolTools) return undefined
  const blobs: Array<Blob> = []
  const pooledRequest: Json = { ...request }
  if (poolMessages) {
    let prev: string | null = null
    for (const message of messages) {
      const body = nodeText(prev, message)
      prev = blobAddress(body)
      blobs.push({ address: prev, body })
    }
    pooledRequest.messages = { $ref: prev }
  }
  if (poolTools) {
    const body = JSON.stringify(tools)
    const address = blobAddress(body)
    blobs.push({ address, body })
    pooledRequest.tools = { $ref: address }
  }
  return { body: JSON.stringify({ ...fields, request: pooledRequest, [POOL_MARK]: 1 }), blobs }
}

/** A pooled body refers to a blob that is missing or is not what its place needs. */
export class BlobUnreadable extends Error {
  readonly address: string
  constructor(address: string, detail: string) {
    super(`blob ${address} ${detail}`)
    this.name = "BlobUnreadable"
    this.address = address
  }
}

/** A message node as stored. */
export interface MessageNode {
  readonly prev: string | null
  readonly message: unknown
}

/** Parses a message node's text; undefined when it is not one. */
export const parseNode = (body: string): MessageNode | undefined => {
  let node: unknown
  try {
    node = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!isObject(node) || !("message" in node) || Object.keys(node).length !== 2) return undefined
  const prev = node.prev
  if (prev !== null && (typeof prev !== "string" || !ADDRESS.test(prev))) return undefined
  return { prev, message: node.message }
}

/** The references of a pooled body's request: where each field's blob (or chain head) is. */
export const poolRefs = (fields: Json): { readonly messages?: string; readonly tools?: string } => {
  const request = fields.request
  if (!isPooled(fields) || !isObject(request)) return {}
  return {
    ...(isRef(request.messages) ? { messages: request.messages.$ref } : {}),
    ...(isRef(request.tools) ? { tools: request.tools.$ref } : {}),
  }
}

/**
 * The event fields of a pooled body, rehydrated from the blobs `lookup` finds; a body without the
 * pool mark is returned as it is. Throws `BlobUnreadable` naming the first blob that is missing
 * or unreadable. Contents are not checked against their addresses here (reads trust the store,
 * as they trust the chain); the integrity check does that.
 */
export const unpool = (fields: Json, lookup: (address: string) => string | undefined): Json => {
  if (!isPooled(fields)) return fields
  const { [POOL_MARK]: _mark, ...event } = fields
  const refs = poolRefs(fields)
  const request: Json = { ...(event.request as Json) }
  const blob = (address: string): string => {
    const body = lookup(address)
    if (body === undefined) throw new BlobUnreadable(address, "is missing from the blob table")
    return body
  }
  if (refs.messages !== undefined) {
    const messages: Array<unknown> = []
    const seen = new Set<string>()
    for (let at: string | null = refs.messages; at !== null; ) {
      if (seen.has(at)) throw new BlobUnreadable(at, "closes a loop in the message chain")
      seen.add(at)
      const node = parseNode(blob(at))
      if (!node) throw new BlobUnreadable(at, "is not a message node")
      messages.push(node.message)
      at = node.prev
    }
    request.messages = messages.reverse()
  }
  if (refs.tools !== undefined) {
    const address = refs.tools
    let tools: unknown
    try {
      tools = JSON.parse(blob(address))
    } catch (e) {
      if (e instanceof BlobUnreadable) throw e
      throw new BlobUnreadable(address, "is not JSON")
    }
    if (!Array.isArray(tools)) throw new BlobUnreadable(address, "is not a tool set")
    request.tools = tools
  }
  return { ...event, request }
}
