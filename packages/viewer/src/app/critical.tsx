/**
 * Where was the episode lost: the latest critical-turn analysis (`tau critical`) as a chart of the
 * estimated probability of success per turn with its interval, the critical turn marked. SVG
 * elements built by Preact: every label is a text node (nothing is parsed as markup).
 */
import type { CriticalView } from "./api.ts"

type TurnEstimate = CriticalView["turns"][number]

const W = 720
const H = 240
const M = { left: 44, right: 16, top: 16, bottom: 40 }

const pct = (p: number | null) => (p === null ? "–" : p.toFixed(2))

/** What the critical turn's drop was, in words: from turn a to turn b, with its interval. */
export const dropText = (a: CriticalView): string | null => {
  if (a.critical_turn === null || a.drop === null) return null
  const i = a.turns.findIndex((t) => t.turn === a.critical_turn)
  const next = a.turns.slice(i + 1).find((t) => t.estimate !== null)
  return `estimate drops ${a.drop.toFixed(2)} (${pct(a.drop_ci_low)} to ${pct(a.drop_ci_high)}) from turn ${a.critical_turn} (${pct(a.turns[i]?.estimate ?? null)}) to turn ${next?.turn ?? "?"} (${pct(next?.estimate ?? null)})`
}

export const CriticalChart = ({ analysis: a }: { analysis: CriticalView }) => {
  const turns = a.turns
  const innerW = W - M.left - M.right
  const innerH = H - M.top - M.bottom
  const step = turns.length <= 1 ? 0 : innerW / (turns.length - 1)
  const x = (i: number) => M.left + (turns.length <= 1 ? innerW / 2 : i * step)
  const y = (p: number) => M.top + (1 - p) * innerH
  const criticalIndex = turns.findIndex((t) => t.turn === a.critical_turn)
  const nextIndex = criticalIndex < 0 ? -1 : turns.findIndex((t, i) => i > criticalIndex && t.estimate !== null)
  const points = turns.flatMap((t, i) => (t.estimate === null ? [] : [`${x(i)},${y(t.estimate)}`]))
  // Label every turn while they fit, else every k-th.
  const every = Math.max(1, Math.ceil(turns.length / 24))
  const drop = dropText(a)
  return (
    <section class="panel" data-testid="critical">
      <h2>Where was it lost?</h2>
      <p class="small">
        {a.finished} of {a.planned} samples ({a.samples_per_turn} per turn, agent <span class="spec">{a.agent}</span>, user <span class="spec">{a.user}</span>,
        cost {a.cost_text}) · {Math.round(a.confidence * 100)}% exact intervals · run <span class="mono">{a.run_id}</span>
      </p>
      <svg class="critical-chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="estimated probability of success per turn">
        {criticalIndex >= 0 && (
          <rect
            class="critical-band"
            data-testid="critical-band"
            x={x(criticalIndex) - 6}
            y={M.top}
            width={(nextIndex >= 0 ? x(nextIndex) : x(criticalIndex)) - x(criticalIndex) + 12}
            height={innerH}
          />
        )}
        {[0, 0.25, 0.5, 0.75, 1].map((p) => (
          <g key={p}>
            <line class="grid-line" x1={M.left} x2={W - M.right} y1={y(p)} y2={y(p)} />
            <text class="axis" x={M.left - 6} y={y(p) + 4} text-anchor="end">
              {p.toFixed(2)}
            </text>
          </g>
        ))}
        <polyline class="estimate-line" points={points.join(" ")} />
        {turns.map((t: TurnEstimate, i) => (
          <g key={t.turn} class={`turn-mark ${i === criticalIndex ? "critical" : ""}`} data-turn={t.turn}>
            <title>{`turn ${t.turn} (${t.role} ${t.kind}): ${t.successes} of ${t.samples} succeeded, estimate ${pct(t.estimate)} [${pct(t.ci_low)}, ${pct(t.ci_high)}]${t.errored > 0 ? `, ${t.errored} errored` : ""}`}</title>
            <line class="interval" x1={x(i)} x2={x(i)} y1={y(t.ci_low)} y2={y(t.ci_high)} />
            <line class="interval" x1={x(i) - 4} x2={x(i) + 4} y1={y(t.ci_low)} y2={y(t.ci_low)} />
            <line class="interval" x1={x(i) - 4} x2={x(i) + 4} y1={y(t.ci_high)} y2={y(t.ci_high)} />
            {t.estimate !== null && <circle class="estimate" cx={x(i)} cy={y(t.estimate)} r={i === criticalIndex ? 5 : 3.5} />}
            {(i % every === 0 || i === criticalIndex) && (
              <text class="axis" x={x(i)} y={H - M.bottom + 16} text-anchor="middle">
                {String(t.turn)}
              </text>
            )}
          </g>
        ))}
        <text class="axis" x={M.left + innerW / 2} y={H - 6} text-anchor="middle">
          turn (branch point)
        </text>
      </svg>
      <p data-testid="critical-summary" class={drop === null ? "muted" : "bad"}>
        {drop === null ? "no estimate drops between analysed turns" : `critical turn ${a.critical_turn}: ${drop}`}
      </p>
    </section>
  )
}
