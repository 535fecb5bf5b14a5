import { fmtReward, type RunSummary } from "./api.ts"
import { EpisodesList } from "./episodes.tsx"
import { episodeHref, Link, runHref } from "./link.tsx"
import { Failure } from "./status.tsx"
import { useApi } from "./use-api.ts"

export const PassHatKs = ({ ks }: { ks: Readonly<Record<string, number>> }) => {
  const entries = Object.entries(ks)
  if (entries.length === 0) return <span>–</span>
  return (
    <span class="passk">
      {entries.map(([k, v]) => (
        <span key={k}>
          pass^{k} {v.toFixed(3)}
        </span>
      ))}
    </span>
  )
}

/** What the run's model calls cost, as the engine formats it: calls of unknown price are counted, never shown as $0. */
const RunCost = ({ run }: { run: RunSummary }) => <span>{run.model_calls === 0 ? "–" : run.cost_text}</span>

/** Every run: what it ran, how it scored, what it cost; refreshed while one is running. */
export const RunsPage = () => {
  const runs = useApi<{ runs: ReadonlyArray<RunSummary> }>("/api/runs", {
    refreshMs: 3000,
    keepRefreshing: (r) => r.runs.some((x) => x.status === "running" || x.status === "interrupted"),
  })
  if (runs.state !== "done") return <Failure loaded={runs} />
  return (
    <section>
      <h1>Runs</h1>
      <p class="muted">
        {runs.value.runs.length} runs · <Link href="/episodes">all episodes</Link>
      </p>
      <table class="grid" data-testid="runs">
        <thead>
          <tr>
            <th>run</th>
            <th>kind</th>
            <th>domain</th>
            <th>mode</th>
            <th>agent</th>
            <th>user</th>
            <th class="num">episodes</th>
            <th>pass^k</th>
            <th class="num">avg reward</th>
            <th class="num">cost</th>
            <th>status</th>
          </tr>
        </thead>
        <tbody>
          {runs.value.runs.map((r) => (
            <tr key={r.run_id} data-run={r.run_id}>
              <td>
                <Link href={runHref(r.run_id)}>{r.run_id}</Link>
                {r.experiment !== null && <div class="muted small">experiment {r.experiment}</div>}
              </td>
              <td>{r.branches_of === null ? r.kind : `${r.kind} of ${r.branches_of}`}</td>
              <td>{r.domain ?? "–"}</td>
              <td>{r.mode ?? "–"}</td>
              <td class="spec">{r.agent ?? "per episode"}</td>
              <td class="spec">{r.user ?? "per episode"}</td>
              <td class="num">{r.episodes}</td>
              <td class="mono">
                <PassHatKs ks={r.pass_hat_ks} />
              </td>
              <td class="num">{fmtReward(r.avg_reward)}</td>
              <td class="num">
                <RunCost run={r} />
              </td>
              <td>
                <span class={`badge ${r.status}`}>{r.status}</span>
                {r.running > 0 && <span class="muted small"> {r.running} running</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

/** One run: its numbers (live while it runs) and its episodes. */
export const RunPage = ({ id }: { id: string }) => {
  const runs = useApi<{ runs: ReadonlyArray<RunSummary> }>("/api/runs", {
    refreshMs: 3000,
    keepRefreshing: (r) => r.runs.some((x) => x.run_id === id && x.status === "running"),
  })
  const run = runs.state === "done" ? runs.value.runs.find((r) => r.run_id === id) : undefined
  return (
    <>
      <h1>
        Run <span class="mono">{id}</span>
      </h1>
      <p class="muted">
        <Link href="/">all runs</Link>
      </p>
      {run !== undefined && (
        <div class="panel run-summary" data-testid="run-summary">
          <span>
            {run.branches_of === null ? run.kind : `${run.kind} of `}
            {run.branches_of !== null && (
              <Link href={run.kind === "critical" ? episodeHref(run.branches_of) : runHref(run.branches_of)}>{run.branches_of}</Link>
            )}
          </span>
          {run.domain !== null && <span>domain {run.domain}</span>}
          {run.mode !== null && <span>mode {run.mode}</span>}
          {run.agent !== null && (
            <span>
              agent <span class="spec">{run.agent}</span>
            </span>
          )}
          {run.user !== null && (
            <span>
              user <span class="spec">{run.user}</span>
            </span>
          )}
          <span>{run.episodes} episodes</span>
          <span>
            <PassHatKs ks={run.pass_hat_ks} />
          </span>
          <span>avg reward {fmtReward(run.avg_reward)}</span>
          {run.model_calls > 0 && (
            <span>
              cost <RunCost run={run} />
            </span>
          )}
          <span class={`badge ${run.status}`}>{run.status}</span>
        </div>
      )}
      <EpisodesList run={id} />
    </>
  )
}
