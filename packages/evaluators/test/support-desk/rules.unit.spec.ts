/**
 * The text rules under the support-desk evaluators, case by case: what is an explicit agreement,
 * when a proposal states a call, which facts a message claims.
 */
import { describe, expect, it } from "vitest"
import { factsIn, isExplicitAgreement, statesCall } from "../../src/index.ts"

describe("explicit agreement", () => {
  it.each([
    "Yes.",
    "yes please",
    "Yes, please go ahead.",
    "Sure, do it.",
    "OK",
    "Okay, proceed.",
    "Confirm",
    "I confirm.",
    "Go ahead!",
    "Please proceed.",
    "That's correct, please do.",
    "\u201cYes\u201d \u2014 that\u2019s right.",
    "Yes. My zip code is 10192.",
    "Yes ###STOP###",
  ])("%j agrees", (text) => expect(isExplicitAgreement(text)).toBe(true))

  it.each([
    "Yes, but first tell me how many renewals I have left.",
    "Yes. Also, can you change my address?",
    "Yes, and another thing: return my other book as well.",
    "Yes? What would that cost?",
    "Actually, wait.",
    "Yes, however I want it on my credit card instead.",
    "Hmm, yes I think so",
    "No.",
    "Please renew my loan.",
    "I'd like to cancel it.",
    "yes, don't charge my card though",
    "",
  ])("%j does not", (text) => expect(isExplicitAgreement(text)).toBe(false))
})

describe("a proposal states a call", () => {
  const renew = { name: "renew_loan", arguments: { loan_id: "L001" } }
  const cancel = { name: "cancel_pending_order", arguments: { order_id: "#W2417020", reason: "no longer needed" } }
  const address = { name: "modify_pending_order_address", arguments: { order_id: "#W1", address1: "380 Maple Drive", zip: "92101" } }
  const login = { name: "log_in", arguments: {} }
  const pay = { name: "pay_fine", arguments: { member_id: "M005", amount: 9.5 } }

  it("needs the action and one key argument", () => {
    expect(statesCall("I can renew loan L001 by 14 days. Shall I?", renew)).toBe(true)
    expect(statesCall("Your renewal of L001 will push the due date.", renew)).toBe(true)
    expect(statesCall("Shall I renew your loan?", renew)).toBe(false)
    expect(statesCall("Loan L001 is due on March 6. Is that the one?", renew)).toBe(false)
  })

  it("reads ids with or without #, case-insensitively, and synonyms of the verb", () => {
    expect(statesCall("I will cancel order W2417020 for you, ok?", cancel)).toBe(true)
    expect(statesCall("The cancellation of #w2417020 refunds your gift card.", cancel)).toBe(true)
    expect(statesCall("I will cancel order #W3614011.", cancel)).toBe(false)
    expect(statesCall("I'll change the shipping address of your order to 380 Maple Drive.", address)).toBe(true)
    expect(statesCall("I'll update it to zip 92101.", address)).toBe(true)
  })

  it("matches numbers as numbers and takes the action alone for a call without key arguments", () => {
    expect(statesCall("I will take a payment of $9.50 for your fines.", pay)).toBe(true)
    expect(statesCall("I will take a payment of $9.05 for your fines.", pay)).toBe(false)
    expect(statesCall("Please log in first so I can help.", login)).toBe(true)
  })
})

describe("checkable facts", () => {
  const kinds = (text: string) => factsIn(text).map((f) => [f.kind, f.value])

  it("finds dates in ISO and written forms", () => {
    expect(kinds("Due on 2025-03-20, then March 27, 2025, or 3rd April 2025; also May 5.")).toEqual([
      ["date", "2025-03-20"],
      ["date", "2025-03-27"],
      ["date", "2025-04-03"],
      ["date", "--05-05"],
    ])
  })

  it("finds amounts, durations, counts and ids, each once per message", () => {
    expect(kinds("A refund of $2,674.40 (2674.40 USD) in 5 to 7 business days for your 3 items; order #W2417020, card credit_card_9513926.")).toEqual([
      ["amount", "2674.4"],
      ["duration", "7 day"],
      ["count", "3"],
      ["id", "w2417020"],
      ["id", "credit_card_9513926"],
    ])
  })

  it("leaves plain numbers, ordinals and quantities with units alone", () => {
    expect(kinds("You have 5GB left; the 2nd option is at 10am, item 4.")).toEqual([])
    expect(kinds("Two other orders and three passengers.")).toEqual([
      ["count", "2"],
      ["count", "3"],
    ])
    expect(kinds("Item 4202497723 ships to zip 10192.")).toEqual([
      ["id", "4202497723"],
      ["id", "10192"],
    ])
  })
})
