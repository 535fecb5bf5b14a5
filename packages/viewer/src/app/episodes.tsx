/**
 * Episodes, filtered, sorted and paged by the server. The filters live in the URL's query, so a
 * filtered list is a link (`/episodes?termination=max_steps&tool_errors=yes`).
 */
import { useState } from "preact/hooks"
import { type EpisodePage, type Facets, fmtReward } from "./api.ts"
import { episodeHref, Link, runHref } from "./link.tsx"
import { navigate, useLocation, withQuery } from "./router.ts"
import { Failure } from "./status.tsx"
import { useApi } from "./use-api.ts"

const FILTERS = ["domain", "task", "termination", "reward_min", "reward_max", "tool_errors", "agent", "mode", "status", "scored_by"] as const
type Filter = (typeof FILTERS)[number]
const PAGE = 50

const COLUMNS: ReadonlyArray<{ readonly key: string; readonly label: string; readonly sort?: string; readonly num?: boolean }> = [
  { key: "episode", label: "episode", sort: "episode" },
  { key: "run", label: "run", sort: "run" },
  { key: "task", label: "task", sort: "task" },
  { key: "trial", label: "trial", sort: "trial", num: true },
  { key: "agent", label: "agent" },
  { key: "mode", label: "mode" },
  { key: "termination", label: "termination", sort: "termination" },
  { key: "tool_errors", label: "tool errors", num: true },
  { key: "reward", label: "reward", sort: "reward", num: true },
  { key: "events", label: "events", sort: "events", num: true },
]

const Select = ({
  name,
  label,
  values,
  value,
  onChange,
}: {
  name: Filter
  label: string
  values: ReadonlyArray<string>
  value: string
  onChange: (v: string) => void
}) => (
  <label>
    {label}
    <select name={name} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
      <option value="">any</option>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </select>
  </label>
)

export const EpisodesList = ({ run }: { run?: string }) => {
  const location = useLocation()
  const q = location.query
  const base = run === undefined ? "/episodes" : runHref(run)
  const params: Record<string, string | undefined> = {}
  for (const f of FILTERS) params[f] = q.get(f) ?? undefined
  const sort = q.get("sort") ?? "started"
  const order = q.get("order") ?? "asc"
  const offset = Number(q.get("offset") ?? "0") || 0
  const facets = useApi<Facets>("/api/facets")
  const page = useApi<EpisodePage>(withQuery("/api/episodes", { ...params, run, sort, order, offset: String(offset), limit: String(PAGE) }))
  const [draft, setDraft] = useState<Record<string, string>>({})
  const value = (f: Filter) => draft[f] ?? params[f] ?? ""

  const go = (changes: Record<string, string | undefined>) => {
    setDraft({})
    navigate(withQuery(base, { ...params, sort, order, ...changes, offset: changes.offset }))
  }
  const setNow = (f: Filter) => (v: string) => go({ [f]: v })
  const f = facets.state === "done" ? facets.value : { domains: [], terminations: [], agents: [], modes: [], evaluators: [], runs: [] }

  return (
    <section>
      <form
        class="filters"
        data-testid="filters"
        onSubmit={(e) => {
          e.preventDefault()
          go(Object.fromEntries(FILTERS.map((k) => [k, value(k)])))
        }}
      >
        <Select name="domain" label="domain" values={f.domains} value={value("domain")} onChange={setNow("domain")} />
        <label>
          task
          <input
            name="task"
            value={value("task")}
            placeholder="task id contains"
            onInput={(e) => setDraft({ ...draft, task: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <Select name="termination" label="termination" values={f.terminations} value={value("termination")} onChange={setNow("termination")} />
        <label>
          reward ≥
          <input
            name="reward_min"
            class="short"
            type="number"
            step="any"
            value={value("reward_min")}
            onInput={(e) => setDraft({ ...draft, reward_min: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <label>
          ≤
          <input
            name="reward_max"
            class="short"
            type="number"
            step="any"
            value={value("reward_max")}
            onInput={(e) => setDraft({ ...draft, reward_max: (e.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <Select name="tool_errors" label="tool errors" values={["yes", "no"]} value={value("tool_errors")} onChange={setNow("tool_errors")} />
        <Select name="agent" label="agent" values={f.agents} value={value("agent")} onChange={setNow("agent")} />
        <Select name="mode" label="mode" values={f.modes} value={value("mode")} onChange={setNow("mode")} />
        <Select name="status" label="status" values={["running", "ended"]} value={value("status")} onChange={setNow("status")} />
        <Select name="scored_by" label="scored by" values={f.evaluators} value={value("scored_by")} onChange={setNow("scored_by")} />
        <button type="submit">Apply</button>
        <button type="button" onClick={() => go(Object.fromEntries(FILTERS.map((k) => [k, undefined])))}>
          Clear
        </button>
      </form>
      {page.state !== "done" ? (
        <Failure loaded={page} />
      ) : (
        <>
          <p class="muted" data-testid="episode-count">
            {page.value.total === 0
              ? "no episodes match"
              : `${offset + 1}–${offset + page.value.episodes.length} of ${page.value.total.toLocaleString("en")} episodes`}
          </p>
          <table class="grid" data-testid="episodes">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c.key} class={c.num ? "num" : ""}>
                    {c.sort === undefined ? (
                      c.label
                    ) : (
                      <button
                        type="button"
                        class="sort"
                        onClick={() => go({ sort: c.sort, order: sort === c.sort && order === "asc" ? "desc" : "asc", offset: undefined })}
                      >
                        {c.label}
                        {sort === c.sort ? (order === "asc" ? " ▲" : " ▼") : ""}
                      </button>
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.value.episodes.map((e) => (
                <tr key={e.episode_id} data-episode={e.episode_id}>
                  <td>
                    <Link href={episodeHref(e.episode_id)}>{e.episode_id}</Link>
                    {e.parent_episode_id !== null && <div class="muted small">branch of {e.parent_episode_id}</div>}
                  </td>
                  <td>
                    <Link href={runHref(e.run_id)}>{e.run_id}</Link>
                  </td>
                  <td>{e.task_id}</td>
                  <td class="num">{e.trial}</td>
                  <td class="spec">{e.agent ?? "–"}</td>
                  <td>{e.mode ?? "–"}</td>
                  <td>{e.status === "running" ? <span class="badge running">running</span> : e.termination_reason}</td>
                  <td class={`num ${e.tool_errors ? "bad" : ""}`}>{e.tool_errors ?? "–"}</td>
                  <td class={`num ${e.reward === null ? "" : e.reward >= 1 - 1e-6 ? "good" : "bad"}`}>{fmtReward(e.reward)}</td>
                  <td class="num">{e.events}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled={offset === 0} onClick={() => go({ offset: String(Math.max(0, offset - PAGE)) })}>
              ← previous
            </button>
            <button type="button" disabled={offset + PAGE >= page.value.total} onClick={() => go({ offset: String(offset + PAGE) })}>
              next →
            </button>
          </div>
        </>
      )}
    </section>
  )
}

export const EpisodesPage = () => (
  <>
    <h1>Episodes</h1>
    <EpisodesList />
  </>
)
