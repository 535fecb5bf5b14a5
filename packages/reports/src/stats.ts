/**
 * Statistics for reports: a seeded PRNG (reports are deterministic: the same store and options
 * give the same bytes), numpy-style quantiles and the paired bootstrap over tasks.
 */

/** mulberry32: small, fast, good enough for resampling indices; fully determined by the seed. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** numpy `quantile(xs, q)` with the default linear method; `sorted` must be ascending. */
export const quantileSorted = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo])
}

export const average = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length)

export interface BootstrapOptions {
  readonly resamples: number
  readonly seed: number
  /** e.g. 0.95 for a 95% interval. */
  readonly confidence: number
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 10_000, seed: 0, confidence: 0.95 }

export interface Interval {
  /** The statistic on the observed sample (mean of the per-task differences). */
  readonly estimate: number
  readonly low: number
  readonly high: number
}

/**
 * Percentile bootstrap of the mean of `values` (one value per task, e.g. the per-task difference
 * between two modes): resample tasks with replacement `resamples` times.
 */
export const bootstrapMean = (values: ReadonlyArray<number>, options: BootstrapOptions = DEFAULT_BOOTSTRAP): Interval => {
  const n = values.length
  if (n === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN }
  const random = seededRandom(options.seed)
  const means = new Float64Array(options.resamples)
  for (let r = 0; r < options.resamples; r++) {
    let sum = 0
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)]
    means[r] = sum / n
  }
  means.sort()
  const tail = (1 - options.confidence) / 2
  const sorted = Array.from(means)
  return { estimate: average(values), low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail) }
}

/**
 * Percentile bootstrap of a pooled mean over clusters (e.g. the average reward over simulations,
 * tasks resampled with their simulations): each cluster is its sum and count, the statistic is
 * Σ sums / Σ counts, so its estimate is the pooled mean itself.
 */
export const bootstrapPooledMean = (
  clusters: ReadonlyArray<{ readonly sum: number; readonly count: number }>,
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): Interval => {
  const n = clusters.length
  const total = clusters.reduce((a, c) => a + c.count, 0)
  if (n === 0 || total === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN }
  const random = seededRandom(options.seed)
  const means: number[] = []
  for (let r = 0; r < options.resamples; r++) {
    let sum = 0
    let count = 0
    for (let i = 0; i < n; i++) {
      const c = clusters[Math.floor(random() * n)]
      sum += c.sum
      count += c.count
    }
    if (count > 0) means.push(sum / count)
  }
  means.sort((a, b) => a - b)
  const tail = (1 - options.confidence) / 2
  return { estimate: clusters.reduce((a, c) => a + c.sum, 0) / total, low: quantileSorted(means, tail), high: quantileSorted(means, 1 - tail) }
}
