/**
 * When a lease may be taken over; shared by the SQLite and in-memory stores. A lease is stale
 * when its holder stopped heartbeating, or when the holder ran on this host and its process is
 * gone (so a resume right after `kill -9` need not wait for the heartbeat to age).
 */
import { hostname } from "node:os"
import type { LeaseHolder } from "./event-store.ts"

/** Whether process `pid` exists on this host (a process we may not signal still exists). */
export const processAlive = (pid: number): boolean => {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

export const leaseIsStale = (holder: LeaseHolder, heartbeatAtMs: number, nowMs: number, staleAfterMs: number): boolean =>
  nowMs - heartbeatAtMs > staleAfterMs || (holder.host === hostname() && !processAlive(holder.pid))
