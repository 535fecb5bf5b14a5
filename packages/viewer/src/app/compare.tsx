/**
 * Two branches side by side at `/compare?a=<id>&b=<id>`: the history they share folded into one
 * block, then each one's own events in its column from the point where they part, and where
 * their final worlds and rewards differ.
 */
import { type BranchComparison, type BranchSide, fmtReward } from "./api.ts"
import { Item } from "./episode.tsx"
import { episodeHref, Link } from "./link.tsx"
import { useLocation } from "./router.ts"
import { Failure } from "./status.tsx"
import { useApi } from "./use-api.ts"

const noSelect = () => {}

const differs = (a: unknown, b: unknown) => (a === b ? "" : " differs")

const Side = ({ side, other }: { side: BranchSide; other: BranchSide }) => (
  <div class="compare-side" data-testid={`side-${side.episode_id}`}>
    <h2>
      <Link href={episodeHref(side.episode_id)}>{side.episode_id}</Link>
    </h2>
    <p class="small">
      <span class={differs(side.agent, other.agent)}>
        agent <span class="spec">{side.agent}</span>
      </span>{" "}
      · <span class={differs(side.user, other.user)}>user {side.user}</span> · <span class={differs(side.mode, other.mode)}>mode {side.mode}</span> ·{" "}
      <span class={differs(side.termination_reason, other.termination_reason)}>{side.termination_reason ?? "running"}</span> ·{" "}
      <strong class={`${side.reward === null ? "" : side.reward >= 1 - 1e-6 ? "good" : "bad"}${differs(side.reward, other.reward)}`}>
        reward {fmtReward(side.reward)}
      </strong>{" "}
      · {side.turns} turns
    </p>
    <div class="timeline">
      {side.timeline.map((i) => (
        <Item key={i.index} item={i} episodeId={side.episode_id} selected={null} onSelect={noSelect} />
      ))}
    </div>
  </div>
)

export const ComparePage = () => {
  const { query } = useLocation()
  const a = query.get("a")
  const b = query.get("b")
  const compared = useApi<BranchComparison>(a && b ? `/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` : null)
  if (!a || !b) return <p class="error-box">Compare needs two episodes: /compare?a=&lt;id&gt;&amp;b=&lt;id&gt;</p>
  if (compared.state !== "done") return <Failure loaded={compared} />
  const c = compared.value
  return (
    <section data-testid="compare">
      <h1>Compare branches</h1>
      <details class="setup" data-testid="shared">
        <summary>
          shared history: {c.shared.length} event{c.shared.length === 1 ? "" : "s"} (the two part after event {c.shared.length - 1})
        </summary>
        {c.shared.map((i) => (
          <Item key={i.index} item={i} episodeId={c.a.episode_id} selected={null} onSelect={noSelect} />
        ))}
      </details>
      <div class="panel">
        <h2>Final worlds</h2>
        {c.world_diff.length === 0 ? (
          <p class="muted" data-testid="world-diff">
            the same
          </p>
        ) : (
          <ul class="changes" data-testid="world-diff">
            {c.world_diff.map((d) => (
              <li key={d.path}>
                <span class={`op ${d.op}`}>{d.op}</span> <span class="mono">{d.path}</span>
                {"value" in d && <span class="mono small"> → {JSON.stringify(d.value)}</span>}
              </li>
            ))}
          </ul>
        )}
        <p class="muted small">from the left branch's world to the right one's</p>
      </div>
      <div class="compare">
        <Side side={c.a} other={c.b} />
        <Side side={c.b} other={c.a} />
      </div>
    </section>
  )
}
