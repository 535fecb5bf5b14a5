/**
 * The price table we keep (USD per million tokens, list prices as published by the providers in
 * 2025; prompt-cache discounts are not modelled, so costs are upper bounds). A dated model id
 * (`gpt-4.1-2025-04-14`, `claude-sonnet-4-5-20250929`) is priced as its longest listed prefix.
 * An unknown model costs 0 and its calls say so (`pricing: null` in the recorded response).
 */
export interface Price {
  readonly inputPerMTok: number
  readonly outputPerMTok: number
}

const p = (inputPerMTok: number, outputPerMTok: number): Price => ({ inputPerMTok, outputPerMTok })

export const PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  "gpt-4.1": p(2, 8),
  "gpt-4.1-mini": p(0.4, 1.6),
  "gpt-4.1-nano": p(0.1, 0.4),
  "gpt-4o": p(2.5, 10),
  "gpt-4o-mini": p(0.15, 0.6),
  "gpt-5": p(1.25, 10),
  "gpt-5-mini": p(0.25, 2),
  "gpt-5-nano": p(0.05, 0.4),
  o1: p(15, 60),
  o3: p(2, 8),
  "o3-mini": p(1.1, 4.4),
  "o4-mini": p(1.1, 4.4),
  // Anthropic
  "claude-opus-4-5": p(5, 25),
  "claude-opus-4-1": p(15, 75),
  "claude-opus-4": p(15, 75),
  "claude-sonnet-4-5": p(3, 15),
  "claude-sonnet-4": p(3, 15),
  "claude-3-7-sonnet": p(3, 15),
  "claude-3-5-sonnet": p(3, 15),
  "claude-haiku-4-5": p(1, 5),
  "claude-3-5-haiku": p(0.8, 4),
  "claude-3-haiku": p(0.25, 1.25),
}

/** The price of `model` (also tried without a router prefix such as `openai/`), or null. */
export const priceOf = (model: string, table: Readonly<Record<string, Price>> = PRICES): Price | null => {
  const candidates = model.includes("/") ? [model, model.slice(model.lastIndexOf("/") + 1)] : [model]
  for (const name of candidates) {
    if (table[name]) return table[name]
    let best: string | null = null
    for (const key of Object.keys(table)) {
      if (name.startsWith(`${key}-`) && (best === null || key.length > best.length)) best = key
    }
    if (best !== null) return table[best]
  }
  return null
}

export const costOf = (price: Price | null, usage: { readonly promptTokens: number; readonly completionTokens: number }): number =>
  price === null ? 0 : (usage.promptTokens * price.inputPerMTok + usage.completionTokens * price.outputPerMTok) / 1_000_000
