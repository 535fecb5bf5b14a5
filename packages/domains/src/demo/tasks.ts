/**
 * The demo domain's tasks, in τ²'s task format. Facts refer to the built-in database
 * (`demoDatabase(40)`): e.g. member M005 Farah Haddad is blocked with 9.5 in fines.
 */
const scenario = (persona: string, instructions: string) => ({ persona, instructions })
const find = (id: string, email: string) => ({ action_id: id, name: "find_member_by_email", arguments: { email } })
/** Paying a member's fines, then unblocking the card. */
const payAndUnblock = (memberId: string, amount: number) => [
  { action_id: "pay", name: "pay_fine", arguments: { member_id: memberId, amount } },
  { action_id: "unblock", name: "unblock_card", arguments: { member_id: memberId } },
]

export const DEMO_TASKS = [
  {
    id: "renew_loan",
    user_scenario: scenario(
      "Busy nurse, short sentences.",
      "You are Ben Schmidt (ben.schmidt1@example.org). Your loan L001 is due soon; ask to renew it and ask for the new due date.",
    ),
    evaluation_criteria: {
      actions: [find("find", "ben.schmidt1@example.org"), { action_id: "renew", name: "renew_loan", arguments: { loan_id: "L001" } }],
      communicate_info: ["2025-03-20"],
      reward_basis: ["DB", "COMMUNICATE"],
    },
  },
  {
    id: "renew_limit_reached",
    user_scenario: scenario(
      "Polite retiree.",
      "You are Chidi Kowalski (chidi.kowalski2@example.org). Ask to renew loan L002. If it cannot be renewed, accept that.",
    ),
    evaluation_criteria: {
      actions: [find("find", "chidi.kowalski2@example.org")],
      reward_basis: ["DB"],
    },
  },
  {
    id: "pay_fines_and_unblock",
    user_scenario: scenario(
      "Student in a hurry.",
      "You are Farah Haddad (farah.haddad5@example.org). Your card is blocked. You agree to pay all your fines so that it is unblocked.",
    ),
    evaluation_criteria: {
      actions: [find("find", "farah.haddad5@example.org"), ...payAndUnblock("M005", 9.5)],
      env_assertions: [{ env_type: "assistant", func_name: "assert_card_status", arguments: { member_id: "M005", expected_status: "active" } }],
      reward_basis: ["DB", "ENV_ASSERTION"],
    },
  },
  {
    id: "checkout_book",
    user_scenario: scenario("Chatty book lover.", "You are Hana Okafor (hana.okafor7@example.org). Borrow book B003 and ask when it is due."),
    evaluation_criteria: {
      actions: [find("find", "hana.okafor7@example.org"), { action_id: "checkout", name: "checkout_book", arguments: { member_id: "M007", book_id: "B003" } }],
      communicate_info: ["2025-03-31"],
      reward_basis: ["DB", "COMMUNICATE"],
    },
  },
  {
    id: "checkout_unavailable",
    user_scenario: scenario(
      "Curious teenager.",
      "You are Eli Nguyen (eli.nguyen4@example.org). You want to borrow book B004. If no copy is available, end the conversation.",
    ),
    evaluation_criteria: { actions: [find("find", "eli.nguyen4@example.org")], reward_basis: ["DB"] },
  },
  {
    id: "link_card_in_app",
    user_scenario: scenario(
      "Not comfortable with phones.",
      "You are Ben Schmidt (ben.schmidt1@example.org). Your library app does not show your card. Follow the agent's instructions on your phone.",
    ),
    user_tools: ["check_app_status", "log_in", "scan_library_card"],
    evaluation_criteria: {
      actions: [
        { action_id: "login", requestor: "user", name: "log_in", arguments: {} },
        { action_id: "scan", requestor: "user", name: "scan_library_card", arguments: {} },
      ],
      env_assertions: [{ env_type: "user", func_name: "assert_card_linked", arguments: { expected: true } }],
      reward_basis: ["DB", "ENV_ASSERTION"],
    },
  },
  {
    id: "renew_and_reminders",
    user_scenario: scenario("Organised accountant.", "You are Eli Nguyen (eli.nguyen4@example.org). Renew loan L004 and get due-date reminders on your phone."),
    evaluation_criteria: {
      actions: [
        find("find", "eli.nguyen4@example.org"),
        { action_id: "renew", name: "renew_loan", arguments: { loan_id: "L004" } },
        { action_id: "notify", requestor: "user", name: "toggle_notifications", arguments: {} },
      ],
      env_assertions: [{ env_type: "user", func_name: "assert_notifications", arguments: { expected: true } }],
      reward_basis: ["DB", "ENV_ASSERTION"],
    },
  },
  {
    id: "return_book",
    user_scenario: scenario(
      "Polite retiree.",
      "You are Chidi Kowalski (chidi.kowalski2@example.org). You returned the book of loan L003 at the desk; make sure it is recorded.",
    ),
    evaluation_criteria: {
      actions: [find("find", "chidi.kowalski2@example.org"), { action_id: "return", name: "return_book", arguments: { loan_id: "L003" } }],
      reward_basis: ["DB"],
    },
  },
  {
    id: "waive_fine_transfer",
    user_scenario: scenario(
      "Frustrated parent.",
      "You are Ana Garcia (ana.garcia10@example.org). You think your fine is unfair and want it waived. Do not pay it.",
    ),
    evaluation_criteria: {
      actions: [{ action_id: "transfer", name: "transfer_to_human_agents", arguments: { summary: "Fine waiver request" }, compare_args: [] }],
      reward_basis: ["DB", "ACTION"],
    },
  },
  {
    id: "pay_unblock_and_borrow",
    user_scenario: scenario(
      "Graduate student.",
      "You are Ana Garcia (ana.garcia10@example.org). You want to borrow book B001 and you will pay your fines if needed.",
    ),
    evaluation_criteria: {
      actions: [
        find("find", "ana.garcia10@example.org"),
        ...payAndUnblock("M010", 7.5),
        { action_id: "checkout", name: "checkout_book", arguments: { member_id: "M010", book_id: "B001" } },
      ],
      communicate_info: ["2025-03-31"],
      reward_basis: ["DB", "COMMUNICATE"],
    },
  },
]
