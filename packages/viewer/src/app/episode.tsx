/**
 * One episode: its header and lineage, the reward with why it failed and every score by
 * evaluator version, the timeline (setup collapsed; a model call's raw request and response on
 * demand), and the world at the selected turn with the change that turn made. Everything a
 * participant or tool produced is rendered as text.
 */
import { useEffect, useState } from "preact/hooks"
import {
  type CriticalView,
  type EpisodeCritical,
  type EpisodeDetail,
  type EpisodeListRow,
  type ForkProgress,
  fmtReward,
  getJson,
  postJson,
  type ScoreView,
  type TimelineItem,
  type WorldAtTurn,
} from "./api.ts"
import { CriticalChart, dropText } from "./critical.tsx"
import { JsonTree } from "./json-tree.tsx"
import { compareHref, episodeHref, Link, runHref } from "./link.tsx"
import { navigate, sessionToken, useLocation } from "./router.ts"
import { Failure } from "./status.tsx"
import { useApi } from "./use-api.ts"

const Text = ({ text, class: className }: { text: string; class?: string }) => <pre class={`text ${className ?? ""}`}>{text}</pre>

const RawEvent = ({ episodeId, index }: { episodeId: string; index: number }) => {
  const [raw, setRaw] = useState<string | null>(null)
  return raw === null ? (
    <button
      type="button"
      class="small"
      onClick={() =>
        getJson<unknown>(`/api/episodes/${encodeURIComponent(episodeId)}/events/${index}`).then(
          (r) => setRaw(JSON.stringify(r, null, 2)),
          (e: unknown) => setRaw(String(e)),
        )
      }
    >
      raw request / response
    </button>
  ) : (
    <Text text={raw} class="raw" />
  )
}

const TurnButton = ({ turn, selected, onSelect }: { turn: number | null; selected: number | null; onSelect: (t: number) => void }) =>
  turn === null ? (
    <span class="turn-none" />
  ) : (
    <button
      type="button"
      class={`turn ${selected === turn ? "selected" : ""}`}
      data-turn={turn}
      title="see the world at this turn"
      onClick={() => onSelect(turn)}
    >
      turn {turn}
    </button>
  )

export const Item = ({
  item,
  episodeId,
  selected,
  onSelect,
  note,
}: {
  item: TimelineItem
  episodeId: string
  selected: number | null
  onSelect: (t: number) => void
  /** A word on this turn from elsewhere (a critical-turn analysis's estimate). */
  note?: string | undefined
}) => {
  const head = (label: string, extra?: string) => (
    <div class="item-head">
      <TurnButton turn={item.turn} selected={selected} onSelect={onSelect} />
      <span class="label">{label}</span>
      {extra !== undefined && <span class="muted small">{extra}</span>}
      {note !== undefined && (
        <span class="muted small estimate-note" data-testid="estimate-note">
          {" "}
          {note}
        </span>
      )}
      {item.inherited && <span class="muted small"> inherited from {item.stream}</span>}
      <span class="muted small seq">#{item.seq}</span>
    </div>
  )
  switch (item.kind) {
    case "started":
      return (
        <div class="item started">
          {head(
            "episode started",
            `agent ${item.agent} · user ${item.user} · mode ${item.mode} · seed ${item.seed}${item.parent ? ` · branched from ${item.parent}` : ""}`,
          )}
        </div>
      )
    case "message":
      return (
        <div class={`item message ${item.role}`} data-kind="message">
          {head(item.role)}
          {item.text !== null && <Text text={item.text} />}
          {item.tool_calls.map((c) => (
            <div class="call" key={c.id}>
              <span class="tool-name">{c.name}</span>
              <Text text={c.arguments} class="args" />
            </div>
          ))}
        </div>
      )
    case "tool":
      return (
        <div class={`item tool ${item.error ? "error" : ""}`} data-kind="tool">
          {head(
            `${item.name}${item.error ? " — error" : ""}`,
            `by ${item.actor}${item.changes > 0 ? ` · ${item.changes} world change${item.changes === 1 ? "" : "s"}` : ""}`,
          )}
          <Text text={item.arguments} class="args" />
          <Text text={item.output} class="output" />
        </div>
      )
    case "model":
      return (
        <div class={`item model ${item.error === null ? "" : "error"}`} data-kind="model">
          {head(
            `model call (${item.participant})`,
            `${item.provider}:${item.model} · ${item.prompt_tokens} + ${item.completion_tokens} tokens · ${item.cost_text} · ${Math.round(item.latency_ms)} ms · attempt ${item.attempt}`,
          )}
          {item.error !== null && <Text text={item.error} class="output" />}
          <RawEvent episodeId={episodeId} index={item.index} />
        </div>
      )
    case "ended":
      return (
        <div class="item ended">
          {head(`ended: ${item.reason}`, `${item.steps} steps · ${item.errors} tool errors`)}
          {item.note !== null && <Text text={item.note} />}
        </div>
      )
    case "external":
      return (
        <div class="item started">
          {head(`imported record (${item.source})`)}
          <RawEvent episodeId={episodeId} index={item.index} />
        </div>
      )
  }
}

/** A turn's estimate from a critical-turn analysis, in a few words. */
const estimateNote = (t: CriticalView["turns"][number]) =>
  t.estimate === null ? undefined : `P(success) ${t.estimate.toFixed(2)} [${t.ci_low.toFixed(2)}, ${t.ci_high.toFixed(2)}] over ${t.samples}`

/**
 * Setup events (the initial state, a task's history) folded into one collapsed block. With a
 * critical-turn analysis: each analysed turn says its estimate, and the critical turn is marked.
 */
const Timeline = ({
  detail,
  selected,
  onSelect,
  critical,
}: {
  detail: EpisodeDetail
  selected: number | null
  onSelect: (t: number) => void
  critical?: CriticalView | undefined
}) => {
  const estimates = new Map((critical?.turns ?? []).map((t) => [t.turn, t]))
  const render = (i: TimelineItem) => {
    const estimate = i.turn === null ? undefined : estimates.get(i.turn)
    const node = <Item key={i.index} item={i} episodeId={detail.episode_id} selected={selected} onSelect={onSelect} note={estimate && estimateNote(estimate)} />
    if (critical === undefined || i.turn === null || i.turn !== critical.critical_turn) return node
    return (
      <div class="critical-turn" key={i.index} data-testid="critical-turn" data-turn={i.turn}>
        <span class="badge critical">critical turn</span> <span class="small bad">{dropText(critical)}</span>
        {node}
      </div>
    )
  }
  const blocks: Array<{ setup: boolean; items: TimelineItem[] }> = []
  for (const item of detail.timeline) {
    const last = blocks.at(-1)
    if (last && last.setup === item.setup) last.items.push(item)
    else blocks.push({ setup: item.setup, items: [item] })
  }
  return (
    <div class="timeline" data-testid="timeline">
      {blocks.map((b) =>
        b.setup ? (
          <details class="setup" key={`s${b.items[0].index}`}>
            <summary>
              setup: {b.items.length} event{b.items.length === 1 ? "" : "s"}
            </summary>
            {b.items.map(render)}
          </details>
        ) : (
          b.items.map(render)
        ),
      )}
    </div>
  )
}

/** Why the reward is below 1: the DB paths that differ from the gold (gold vs actual), then the other failed checks. */
const WhyFailed = ({ why, others }: { why: EpisodeDetail["why_failed"]; others: ReadonlyArray<string> }) => {
  if (why === null) return null
  const differences = why.db?.differences ?? null
  return (
    <div class="why-failed" data-testid="why-failed">
      <h3>Why it failed</h3>
      {why.db !== null &&
        (differences === null || differences.length === 0 ? (
          <p class="failed" data-testid="db-differences">
            DB: the final database differs from the gold (db_match false)
            {differences === null ? (why.db.error ? `; paths not computed: ${why.db.error}` : "") : "; today's evaluator finds no differing path"}
          </p>
        ) : (
          <table class="grid db-diff" data-testid="db-differences">
            <caption>
              {differences.length} database path{differences.length === 1 ? "" : "s"} differ from the gold
            </caption>
            <thead>
              <tr>
                <th>path</th>
                <th>gold</th>
                <th>actual</th>
              </tr>
            </thead>
            <tbody>
              {differences.map((d) => (
                <tr key={d.path}>
                  <td class="mono">{d.path}</td>
                  <td class="mono good">{d.gold}</td>
                  <td class="mono bad">{d.actual}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {others.length > 0 && (
        <ul class="failed" data-testid="failed-checks">
          {others.map((f, i) => (
            <li key={`${i}`}>{f}</li>
          ))}
        </ul>
      )}
    </div>
  )
}

const Scores = ({ scores, detail }: { scores: ReadonlyArray<ScoreView>; detail: EpisodeDetail }) => (
  <section class="panel">
    <h2>Reward</h2>
    <WhyFailed why={detail.why_failed} others={detail.failed_checks} />
    {scores.length === 0 ? (
      <p class="muted">not scored</p>
    ) : (
      <table class="grid">
        <thead>
          <tr>
            <th>evaluator</th>
            <th>version</th>
            <th class="num">reward</th>
            <th>recorded</th>
            <th>breakdown</th>
          </tr>
        </thead>
        <tbody>
          {scores.map((s, i) => (
            <tr key={`${i}`} class={s.reported ? "reported" : ""}>
              <td>
                {s.evaluator}
                {s.reported && <span class="muted small"> (the reward)</span>}
              </td>
              <td>{s.version}</td>
              <td class={`num ${s.reward >= 1 - 1e-6 ? "good" : "bad"}`}>{fmtReward(s.reward)}</td>
              <td class="small">{s.recorded_at}</td>
              <td>
                <details>
                  <summary>show</summary>
                  <Text text={JSON.stringify(s.breakdown, null, 2)} class="raw" />
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
)

/**
 * A fork started here, while it runs: its own events as they are stored (polled), then how it
 * ended. It tells the page when the branch changed (to fetch the lineage tree again).
 */
/** The latest events of a running branch shown here (the branch's own page has them all). */
const LIVE_ITEMS = 12

const ForkLive = ({ id, onChange }: { id: string; onChange: () => void }) => {
  const progress = useApi<ForkProgress>(`/api/forks/${encodeURIComponent(id)}`, { refreshMs: 300, keepRefreshing: (p) => p.state === "running" })
  const state = progress.state === "done" ? progress.value.state : null
  const events = progress.state === "done" ? (progress.value.detail?.timeline.length ?? 0) : 0
  // The lineage tree shows the branch's status and reward: fetched again when they may have changed.
  useEffect(onChange, [state, events > 0])
  if (progress.state !== "done") return <Failure loaded={progress} />
  const p = progress.value
  const own = (p.detail?.timeline ?? []).filter((i) => !i.inherited)
  return (
    <div class="fork-live" data-testid="fork-live" data-state={p.state}>
      <p>
        branch <Link href={episodeHref(p.episode_id)}>{p.episode_id}</Link>{" "}
        {p.state === "running" ? (
          <span class="badge running">running</span>
        ) : p.state === "failed" ? (
          <span class="badge errored">failed</span>
        ) : (
          <span class="badge done">done</span>
        )}{" "}
        <span class="muted small">
          {own.length} new event{own.length === 1 ? "" : "s"}
          {p.detail?.termination_reason ? ` · ${p.detail.termination_reason} · reward ${fmtReward(p.detail.reward)}` : ""}
        </span>
      </p>
      {p.error !== null && (
        <div class="error-box" role="alert">
          {p.error}
        </div>
      )}
      <div class="timeline live" data-testid="fork-live-timeline">
        {own.length > LIVE_ITEMS && (
          <p class="muted small">
            {own.length - LIVE_ITEMS} earlier events: see the <Link href={episodeHref(p.episode_id)}>branch</Link>
          </p>
        )}
        {own.slice(-LIVE_ITEMS).map((i) => (
          <Item key={i.index} item={i} episodeId={p.episode_id} selected={null} onSelect={() => undefined} />
        ))}
      </div>
    </div>
  )
}

/** Fork at the selected turn: the branch keeps turns 0..N-1 and continues live with these participants. */
const ForkForm = ({ detail, turn, onForked }: { detail: EpisodeDetail; turn: number; onForked: () => void }) => {
  const [agent, setAgent] = useState(detail.agent)
  const [user, setUser] = useState(detail.user)
  const [state, setState] = useState<{ busy: boolean; message: string | null; child: string | null }>({ busy: false, message: null, child: null })
  return (
    <form
      class="fork"
      data-testid="fork-form"
      onSubmit={(e) => {
        e.preventDefault()
        setState({ busy: true, message: null, child: null })
        postJson<{ episode_id: string }>(`/api/episodes/${encodeURIComponent(detail.episode_id)}/fork`, { turn, agent, user }, sessionToken()).then(
          (r) => setState({ busy: false, message: null, child: r.episode_id }),
          (err: unknown) => setState({ busy: false, message: err instanceof Error ? err.message : String(err), child: null }),
        )
      }}
    >
      <h3>Fork at turn {turn}</h3>
      <label>
        agent <input name="agent" value={agent} onInput={(e) => setAgent((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label>
        user <input name="user" value={user} onInput={(e) => setUser((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={state.busy}>
        {state.busy ? "starting…" : `fork at turn ${turn}`}
      </button>
      {state.message !== null && (
        <div class="error-box" role="alert">
          {state.message}
        </div>
      )}
      {state.child !== null && <ForkLive id={state.child} onChange={onForked} />}
    </form>
  )
}

const World = ({ episodeId, turn }: { episodeId: string; turn: number }) => {
  const world = useApi<WorldAtTurn>(`/api/episodes/${encodeURIComponent(episodeId)}/world?turn=${turn}`)
  if (world.state !== "done") return <Failure loaded={world} />
  const w = world.value
  const changed = new Set(w.changes.map((c) => c.path))
  return (
    <div data-testid="world">
      <h2>
        World at turn {w.turn} <span class="muted small">of 0..{w.turns - 1}</span>
      </h2>
      <h3>What this turn changed</h3>
      {w.changes.length === 0 ? (
        <p class="muted">nothing</p>
      ) : (
        <ul class="changes" data-testid="changes">
          {w.changes.map((c) => (
            <li key={c.path}>
              <span class={`op ${c.op}`}>{c.op}</span> <span class="mono">{c.path}</span>
              {"before" in c && <Text text={`was: ${JSON.stringify(c.before, null, 1)}`} class="args was" />}
              {"value" in c && <Text text={`now: ${JSON.stringify(c.value, null, 1)}`} class="args" />}
            </li>
          ))}
        </ul>
      )}
      <h3>The world</h3>
      {w.world !== null && typeof w.world === "object" ? (
        Object.entries(w.world as Record<string, unknown>).map(([k, v]) => (
          <JsonTree
            key={`${w.turn}/${k}`}
            name={k}
            value={v}
            changed={new Set([...changed].filter((p) => p.startsWith(`/${k}`)).map((p) => p.slice(k.length + 1)))}
          />
        ))
      ) : (
        <JsonTree name="world" value={w.world} changed={changed} />
      )}
    </div>
  )
}

/** More sibling branches of one run than this are folded (a critical analysis has K samples per turn). */
const FOLD_SIBLINGS = 5

/** Siblings grouped by run, in their order of first appearance. */
const byRun = (rows: ReadonlyArray<EpisodeListRow>): ReadonlyArray<ReadonlyArray<EpisodeListRow>> => {
  const groups = new Map<string, EpisodeListRow[]>()
  for (const r of rows) groups.set(r.run_id, [...(groups.get(r.run_id) ?? []), r])
  return [...groups.values()]
}

/** The episode's family: its root and every branch below it, this one marked, each with a compare link. */
const LineageTree = ({ episodeId, version }: { episodeId: string; version: number }) => {
  const tree = useApi<{ nodes: ReadonlyArray<EpisodeListRow> }>(`/api/episodes/${encodeURIComponent(episodeId)}/tree?v=${version}`)
  if (tree.state !== "done" || tree.value.nodes.length < 2) return null
  const nodes = tree.value.nodes
  const children = new Map<string, EpisodeListRow[]>()
  for (const n of nodes) if (n.parent_episode_id !== null) children.set(n.parent_episode_id, [...(children.get(n.parent_episode_id) ?? []), n])
  const Node = ({ node }: { node: EpisodeListRow }) => (
    <li data-episode={node.episode_id}>
      {node.episode_id === episodeId ? <strong>{node.episode_id}</strong> : <Link href={episodeHref(node.episode_id)}>{node.episode_id}</Link>}{" "}
      <span class="muted small">
        {node.parent_seq === null ? "root" : `branched at event ${node.parent_seq}`} · <span class="spec">{node.agent ?? "?"}</span> ·{" "}
        {node.termination_reason ?? node.status} · reward {fmtReward(node.reward)}
      </span>
      {node.episode_id !== episodeId && (
        <>
          {" "}
          <Link class="small" href={compareHref(episodeId, node.episode_id)}>
            compare
          </Link>
        </>
      )}
      {(children.get(node.episode_id) ?? []).length > 0 && (
        <ul>
          {byRun(children.get(node.episode_id) ?? []).map((group) =>
            group.length > FOLD_SIBLINGS ? <Folded key={group[0].run_id} group={group} /> : group.map((c) => <Node key={c.episode_id} node={c} />),
          )}
        </ul>
      )}
    </li>
  )
  /** Many branches of one run under one parent (a critical-turn analysis's samples): folded, open when this episode is one of them. */
  const Folded = ({ group }: { group: ReadonlyArray<EpisodeListRow> }) => (
    <li data-testid="lineage-folded" data-run={group[0].run_id}>
      <details open={group.some((c) => c.episode_id === episodeId || (children.get(c.episode_id) ?? []).length > 0)}>
        <summary class="small">
          {group.length} branches of run <span class="spec">{group[0].run_id}</span> · {group.filter((c) => c.reward === 1).length} with reward 1
        </summary>
        <ul>
          {group.map((c) => (
            <Node key={c.episode_id} node={c} />
          ))}
        </ul>
      </details>
    </li>
  )
  const root = nodes[0]
  return (
    <section class="panel" data-testid="lineage-tree">
      <h2>Lineage</h2>
      <ul class="tree-list">
        <Node node={root} />
      </ul>
    </section>
  )
}

export const EpisodePage = ({ id }: { id: string }) => {
  const location = useLocation()
  const detail = useApi<EpisodeDetail>(`/api/episodes/${encodeURIComponent(id)}`)
  const critical = useApi<EpisodeCritical>(`/api/episodes/${encodeURIComponent(id)}/critical`)
  const analysis = critical.state === "done" ? critical.value.analyses[0] : undefined
  const turnParam = location.query.get("turn")
  const selected = turnParam === null ? null : Number(turnParam)
  const select = (t: number) => navigate(episodeHref(id, t), { replace: true })
  // A fork started here lands in the lineage tree: it is fetched again.
  const [forks, setForks] = useState(0)
  const forked = () => setForks((n) => n + 1)
  if (detail.state !== "done") return <Failure loaded={detail} />
  const d = detail.value
  return (
    <section>
      <h1>
        Episode <span class="mono">{d.episode_id}</span>
      </h1>
      <p class="summary">
        run <Link href={runHref(d.run_id)}>{d.run_id}</Link> · {d.domain}/{d.task_id} trial {d.trial} · agent <span class="spec">{d.agent}</span> · user{" "}
        <span class="spec">{d.user}</span> · mode {d.mode} · {d.status === "running" ? <span class="badge running">running</span> : d.termination_reason} ·
        reward <strong class={d.reward === null ? "" : d.reward >= 1 - 1e-6 ? "good" : "bad"}>{fmtReward(d.reward)}</strong> · {d.turns} turns
      </p>
      {d.lineage.length > 1 && (
        <p data-testid="lineage" class="small">
          lineage:{" "}
          {d.lineage.map((l, i) => (
            <span key={l.episode_id}>
              {i > 0 && ` → (at event ${l.fork_seq}) `}
              {l.episode_id === d.episode_id ? <strong>{l.episode_id}</strong> : <Link href={episodeHref(l.episode_id)}>{l.episode_id}</Link>}
            </span>
          ))}
        </p>
      )}
      <LineageTree episodeId={d.episode_id} version={forks} />
      <Scores scores={d.scores} detail={d} />
      {analysis !== undefined && <CriticalChart analysis={analysis} />}
      <div class="split">
        <div class="left">
          <h2>Timeline</h2>
          <Timeline detail={d} selected={selected} onSelect={select} critical={analysis} />
        </div>
        <div class="right panel">
          {selected === null || !Number.isInteger(selected) ? (
            <p class="muted">Select a turn to see the world as it was then and what that turn changed.</p>
          ) : (
            <>
              <World episodeId={d.episode_id} turn={selected} />
              <ForkForm key={selected} detail={d} turn={selected} onForked={forked} />
            </>
          )}
        </div>
      </div>
    </section>
  )
}
