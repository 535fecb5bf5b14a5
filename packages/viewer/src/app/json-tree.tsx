/**
 * A world (or any JSON) as a tree that opens on demand: a τ² database has thousands of records,
 * so children are only rendered once their node is opened. Nodes on a changed path start open
 * and changed values are marked. Every key and value is rendered as text.
 */
import { useState } from "preact/hooks"

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => v !== null && typeof v === "object"

const preview = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.length}]`
  if (isContainer(v)) return `{${Object.keys(v).length}}`
  return JSON.stringify(v) ?? String(v)
}

/** JSON Pointer tokens (RFC 6901) of a path such as `/db/users/0`. */
export const pointerTokens = (path: string): string[] =>
  path === ""
    ? []
    : path
        .slice(1)
        .split("/")
        .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"))

interface NodeProps {
  readonly name: string
  readonly value: unknown
  readonly path: string
  /** Changed paths (JSON Pointers). */
  readonly changed: ReadonlySet<string>
  readonly depth: number
}

const escapeToken = (k: string) => k.replaceAll("~", "~0").replaceAll("/", "~1")

const onChangedPath = (path: string, changed: ReadonlySet<string>): boolean => {
  for (const c of changed) if (c === path || c.startsWith(`${path}/`)) return true
  return false
}

const TreeNode = ({ name, value, path, changed, depth }: NodeProps) => {
  const [open, setOpen] = useState(depth === 0 || onChangedPath(path, changed))
  const mark = changed.has(path) ? " changed" : ""
  if (!isContainer(value)) {
    return (
      <div class={`leaf${mark}`} data-path={path}>
        <span class="key">{name}</span>: <span class="value">{preview(value)}</span>
      </div>
    )
  }
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value)
  return (
    <div class={`branch${mark}`} data-path={path}>
      <button type="button" class="toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? "▾" : "▸"} <span class="key">{name}</span> <span class="muted">{preview(value)}</span>
      </button>
      {open && (
        <div class="children">
          {entries.map(([k, v]) => (
            <TreeNode key={k} name={k} value={v} path={`${path}/${escapeToken(k)}`} changed={changed} depth={depth + 1} />
          ))}
        </div>
      )}
    </div>
  )
}

export const JsonTree = ({ value, changed, name }: { value: unknown; changed: ReadonlySet<string>; name: string }) => (
  <div class="tree">
    <TreeNode name={name} value={value} path="" changed={changed} depth={0} />
  </div>
)
