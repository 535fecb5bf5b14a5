/** Strict structural comparison for tests: `1` and `1.0` differ, key order does not matter. */
import { isObject, PyFloat, PyJson, type PyValue } from "@tau-sim/engine"

const show = (v: PyValue | undefined): string => (v === undefined ? "<missing>" : PyJson.dumps(v).slice(0, 300))

/** A description of the first difference between `got` and `want`, or undefined. */
export const strictDifference = (got: PyValue | undefined, want: PyValue | undefined, at: string): string | undefined => {
  const differ = () => `${at}: got ${show(got)}, want ${show(want)}`
  if (got === want) return undefined
  if (got instanceof PyFloat || want instanceof PyFloat)
    return got instanceof PyFloat && want instanceof PyFloat && Object.is(got.value, want.value) ? undefined : differ()
  if (Array.isArray(got) || Array.isArray(want)) {
    if (!Array.isArray(got) || !Array.isArray(want) || got.length !== want.length) return differ()
    for (let i = 0; i < got.length; i++) {
      const d = strictDifference(got[i], want[i], `${at}[${i}]`)
      if (d) return d
    }
    return undefined
  }
  if (isObject(got) && isObject(want)) {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)])
    for (const k of keys) {
      const d = strictDifference(got[k], want[k], `${at}.${k}`)
      if (d) return d
    }
    return undefined
  }
  return differ()
}
