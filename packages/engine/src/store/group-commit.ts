/**
 * Group commit: appends that fibers make at about the same time share one write transaction, so
 * a process running many episodes pays one commit (its log pages, its write lock) per group
 * instead of one per hop. Each append is still all or nothing on its own (a savepoint in the
 * group's transaction), is still checked against its stream's version when it is written, and
 * still returns only once its group has committed; appends of one episode stay in order (each
 * waits for the one before, and a group writes in arrival order).
 *
 * The first append of a group yields once (to the fibers that are ready now), then writes the
 * group; appends made meanwhile join it. Alone, an append runs in its own transaction, as before.
 * If the group's transaction as a whole fails (its commit, or an error that ends it, such as a
 * full disk), each of its appends is tried again on its own, so each reports its own outcome.
 */
import { Effect, Exit } from "effect"

export interface GroupCommitOptions<I, A, E> {
  /** The item's writes, inside a transaction; throws to reject it. */
  readonly write: (item: I) => A
  /** Runs `body` in one write transaction (commit on return, rollback on throw). */
  readonly transaction: <R>(body: () => R) => R
  /** Runs `body` in a savepoint of the open transaction (released on return, rolled back on throw). */
  readonly savepoint: <R>(body: () => R) => R
  /** Whether the transaction is still open (an error such as a full disk can end it). */
  readonly inTransaction: () => boolean
  /** What a thrown error becomes. */
  readonly error: (cause: unknown) => E
  /** A transaction committed these items (a notice: should it throw, the items are still committed). */
  readonly committed?: (items: ReadonlyArray<I>) => void
}

interface Waiting<I, A, E> {
  readonly item: I
  resume?: (exit: Exit.Exit<A, E>) => void
}

/** The group's transaction ended under it: the group is given up, and its items written alone. */
class GroupAborted extends Error {}

export const groupCommit = <I, A, E>(options: GroupCommitOptions<I, A, E>) => {
  const { write, transaction, savepoint, inTransaction, error, committed } = options
  let pending: Array<Waiting<I, A, E>> | undefined

  // After the commit, outside the write's error handling: a failing notice must not make committed
  // items fail, nor be written again (a group's fallback would write them twice).
  const notify = (items: ReadonlyArray<I>): void => {
    try {
      committed?.(items)
    } catch {}
  }

  const alone = (item: I): Exit.Exit<A, E> => {
    let result: A
    try {
      result = transaction(() => write(item))
    } catch (e) {
      return Exit.fail(error(e))
    }
    notify([item])
    return Exit.succeed(result)
  }

  const together = (items: ReadonlyArray<I>): Array<Exit.Exit<A, E>> => {
    let exits: Array<Exit.Exit<A, E>>
    try {
      exits = transaction(() =>
        items.map((item): Exit.Exit<A, E> => {
          try {
            return Exit.succeed(savepoint(() => write(item)))
          } catch (e) {
            if (!inTransaction()) throw new GroupAborted()
            return Exit.fail(error(e))
          }
        }),
      )
    } catch {
      return items.map(alone)
    }
    notify(items)
    return exits
  }

  const flush = (group: ReadonlyArray<Waiting<I, A, E>>): Exit.Exit<A, E> => {
    const exits = group.length === 1 ? [alone(group[0].item)] : together(group.map((w) => w.item))
    for (let i = 1; i < group.length; i++) group[i].resume?.(exits[i])
    return exits[0]
  }

  /**
   * Writes the item, with whatever other items are submitted before its group is written.
   * Uninterruptible: once submitted, an item is written and its outcome reported.
   */
  const submit = (item: I): Effect.Effect<A, E> =>
    Effect.uninterruptible(
      Effect.suspend(() => {
        if (pending !== undefined) {
          return Effect.callback<A, E>((resume) => {
            // A group may have been written between the check above and here.
            if (pending !== undefined) pending.push({ item, resume })
            else resume(alone(item))
          })
        }
        const group: Array<Waiting<I, A, E>> = [{ item }]
        pending = group
        return Effect.flatMap(Effect.yieldNow, () => {
          pending = undefined
          return flush(group)
        })
      }),
    )

  return { submit }
}
