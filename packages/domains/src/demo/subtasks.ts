/**
 * The demo's subtask catalog: atomic things that can be wrong for one patron (Ben Schmidt, M001,
 * who holds loan L001), in groups of mutually exclusive ones, from which `tau tasks generate
 * --domain demo` composes tasks offline. The setup first puts the patron's app in order, so each
 * app subtask breaks exactly one thing.
 */
import { assertion, gold, initCall, type SubtaskCatalog } from "@tau-sim/engine/sdk"

const MEMBER = "M001"
const LOAN = "L001"
const EMAIL = "ben.schmidt1@example.org"

/** 14 days after a `YYYY-MM-DD` date (what renew_loan gives). */
const plus14 = (date: string) => {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + 14)
  return d.toISOString().slice(0, 10)
}

export const demoSubtasks: SubtaskCatalog = {
  name: "library",
  personas: { None: null, Busy: "Busy nurse, short sentences.", Retiree: "Polite retiree who likes to chat." },
  setup: [initCall("user", "set_app_state", { logged_in: true, card_linked: true, notifications: true })],
  instructions: (parts) => [`You are Ben Schmidt (${EMAIL}).`, ...parts.subtasks.map((s) => s.request ?? "")].join(" "),
  groups: [
    {
      name: "card",
      subtasks: [
        {
          name: "blocked_card_with_fines",
          description: "The card is blocked for 6.00 in fines",
          request: "Your card is blocked; you agree to pay your fines in full so that it is unblocked.",
          init: [
            initCall("assistant", "set_fines", { member_id: MEMBER, amount: 6 }),
            initCall("assistant", "block_card", { member_id: MEMBER }),
            assertion("assistant", "assert_card_status", { member_id: MEMBER, expected_status: "blocked" }, "the card is not blocked"),
          ],
          solution: [
            gold("assistant", "find_member_by_email", { email: EMAIL }),
            gold("assistant", "pay_fine", { member_id: MEMBER, amount: 6 }),
            gold("assistant", "unblock_card", { member_id: MEMBER }),
          ],
          assertions: [
            assertion("assistant", "assert_card_status", { member_id: MEMBER, expected_status: "active" }),
            assertion("assistant", "assert_fines", { member_id: MEMBER, expected_amount: 0 }),
          ],
        },
        {
          name: "blocked_card_no_fines",
          description: "The card is blocked although no fines are due",
          request: "Your card is blocked although you owe nothing; ask for it to be unblocked.",
          init: [initCall("assistant", "block_card", { member_id: MEMBER })],
          solution: [gold("assistant", "find_member_by_email", { email: EMAIL }), gold("assistant", "unblock_card", { member_id: MEMBER })],
          assertions: [assertion("assistant", "assert_card_status", { member_id: MEMBER, expected_status: "active" })],
        },
      ],
    },
    {
      name: "loan",
      subtasks: [
        {
          name: "loan_due_tomorrow",
          description: "Loan L001 is due tomorrow",
          request: "Your loan L001 is due tomorrow; ask to renew it.",
          init: [initCall("assistant", "set_due_date", { loan_id: LOAN, due_date: "2025-03-11" })],
          solution: [gold("assistant", "renew_loan", { loan_id: LOAN })],
          // Read from the broken world: the due date the renewal must give.
          assertions: [
            (env) => [
              assertion("assistant", "assert_loan_due", { loan_id: LOAN, expected_due_date: plus14(String(env.get("agent", "loans", LOAN, "due_date"))) }),
            ],
          ],
        },
        {
          name: "returned_at_desk",
          description: "The book of loan L001 was returned at the desk but not recorded",
          request: "You returned the book of loan L001 at the desk; make sure it is recorded.",
          init: [],
          solution: [gold("assistant", "return_book", { loan_id: LOAN })],
          assertions: [assertion("assistant", "assert_loan_status", { loan_id: LOAN, expected_status: "returned" })],
        },
      ],
    },
    {
      name: "app",
      subtasks: [
        {
          name: "app_logged_out",
          description: "The app is logged out and has lost the card",
          request: "Your library app logged you out and no longer shows your card; follow the agent's instructions on your phone.",
          init: [initCall("user", "log_out"), initCall("user", "unlink_card")],
          solution: [gold("user", "log_in"), gold("user", "scan_library_card")],
          assertions: [assertion("user", "assert_card_linked", { expected: true })],
        },
        {
          name: "app_card_unlinked",
          description: "The app no longer shows the card",
          request: "Your library app no longer shows your card; follow the agent's instructions on your phone.",
          init: [initCall("user", "unlink_card")],
          solution: [gold("user", "scan_library_card")],
          assertions: [assertion("user", "assert_card_linked", { expected: true })],
        },
      ],
    },
    {
      name: "reminders",
      subtasks: [
        {
          name: "reminders_off",
          description: "Due-date reminders are off",
          request: "You get no due-date reminders any more; you want them on.",
          init: [(env) => (env.get("user", "app", "notifications") === true ? [initCall("user", "toggle_notifications")] : [])],
          solution: [gold("user", "toggle_notifications")],
          assertions: [assertion("user", "assert_notifications", { expected: true })],
        },
      ],
    },
  ],
}
