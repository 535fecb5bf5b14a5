/**
 * Trial seeds exactly as the reference draws them (semantics §8.2): Python's `random.seed(seed)`
 * (MT19937 seeded by init_by_array) followed by one `randint(0, 1000000)` per trial.
 */
const N = 624
const M = 397

class MersenneTwister {
  readonly mt = new Uint32Array(N)
  index = N + 1

  initGenrand(s: number) {
    this.mt[0] = s >>> 0
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30)
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0
    }
    this.index = N
  }

  initByArray(key: ReadonlyArray<number>) {
    this.initGenrand(19650218)
    let i = 1
    let j = 0
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30)
      this.mt[i] = ((this.mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0
      i++
      j++
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]
        i = 1
      }
      if (j >= key.length) j = 0
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30)
      this.mt[i] = ((this.mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0
      i++
      if (i >= N) {
        this.mt[0] = this.mt[N - 1]
        i = 1
      }
    }
    this.mt[0] = 0x80000000
  }

  nextUint32(): number {
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (this.mt[k] & 0x80000000) | (this.mt[(k + 1) % N] & 0x7fffffff)
        this.mt[k] = this.mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)
      }
      this.index = 0
    }
    let y = this.mt[this.index++]
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }
}

/** Python `random.seed(n)` for a non-negative int below 2^53. */
const pythonRandom = (seed: number): MersenneTwister => {
  const key: number[] = []
  let n = Math.abs(Math.trunc(seed))
  do {
    key.push(n % 2 ** 32)
    n = Math.floor(n / 2 ** 32)
  } while (n > 0)
  const mt = new MersenneTwister()
  mt.initByArray(key)
  return mt
}

/** Python `randint(0, high)` via `_randbelow` (rejection sampling on getrandbits). */
const randint = (mt: MersenneTwister, high: number): number => {
  const n = high + 1
  const bits = Math.floor(Math.log2(n)) + 1
  for (;;) {
    const r = mt.nextUint32() >>> (32 - bits)
    if (r < n) return r
  }
}

export const trialSeeds = (seed: number, trials: number): number[] => {
  const mt = pythonRandom(seed)
  return Array.from({ length: trials }, () => randint(mt, 1_000_000))
}
