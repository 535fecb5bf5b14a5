/**
 * Every file the CLI writes goes to a temporary file beside the target, is flushed, then renamed
 * into place: a full disk, a kill or a crash leaves the previous file whole, never a truncated one.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"

export class FileWriteError extends Schema.TaggedError<FileWriteError>()("FileWriteError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  get message(): string {
    return `cannot write ${this.path}: ${this.reason}`
  }
}

const writeNow = (target: string, data: string | Uint8Array): void => {
  const dir = path.dirname(path.resolve(target))
  // Same directory, so the rename is atomic (one file system); the pid keeps writers apart.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
  let fd: number | undefined
  try {
    fd = fs.openSync(temp, "wx", 0o644)
    fs.writeFileSync(fd, data)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(temp, target)
  } catch (e) {
    // Cleaning up must not hide why the write failed (a close can fail on a full disk too).
    try {
      if (fd !== undefined) fs.closeSync(fd)
      fs.rmSync(temp, { force: true })
    } catch {
      // the temporary file is left; the error below names the target
    }
    throw e
  }
}

/** Writes `data` to `target` atomically; failures name the path and keep any previous file. */
export const writeFileAtomic = (target: string, data: string | Uint8Array): Effect.Effect<void, FileWriteError> =>
  Effect.try({
    try: () => writeNow(target, data),
    catch: (e) => new FileWriteError({ path: target, reason: e instanceof Error ? e.message : String(e) }),
  })
