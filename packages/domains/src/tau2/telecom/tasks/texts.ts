/**
 * The texts of generated telecom tasks (`tasks/const.py` and the three task managers), as in the
 * release that produced the shipped `full` split: the grounding note still names `get_status_bar`.
 */

const TOOL_CALL_INFO_CHECK =
  "If the tool call does not return updated status information, you might need to perform another tool call to get the updated status."

const TOOL_CALL_GROUNDING = `
Whenever the agent asks you about your device, always ground your responses on the results of tool calls. 
For example: If the agent asks what the status bar shows, always ground your response on the results of the \`get_status_bar\` tool call. If the agent asks if you are able to send an MMS message, always ground your response on the results of the \`can_send_mms\` tool call.
Never make up the results of tool calls, always ground your responses on the results of tool calls.
If you are unsure about whether an action is necessary, always ask the agent for clarification.
`

const MILD_FRUSTRATION =
  "If the agent suggests actions that don't immediately fix the issue, follow their guidance but express mild frustration after the first unsuccessful attempt."

const WILLING_TO_REFUEL = "You are willing to refuel 2.0 GB of data if necessary, but you do not want to change your mobile data plan."

export const PERSONAS: Readonly<Record<"None" | "Easy" | "Hard", string | null>> = {
  None: null,
  Easy: `
As a 41-year-old office administrator, you use your cellphone daily for both work and personal tasks. While you're familiar with common phone functions, you wouldn't call yourself a tech enthusiast.

Your technical skills are average - you handle standard smartphone features like calls, texts, email, and basic apps with ease. You understand the fundamental settings, but prefer clear, step-by-step guidance when trying something new.

In interactions, you're naturally friendly and patient. When receiving help, you listen attentively and aren't afraid to ask questions. You make sure to confirm your understanding and provide detailed feedback on each instruction you receive.
`,
  Hard: `
At 64 years old, you're a retired librarian who keeps your phone use simple - mainly for calls, texts, and capturing photos of your grandchildren. Technology in general makes you feel uneasy and overwhelmed.

Your technical knowledge is quite limited. Step-by-step instructions often confuse you, and technical terms like "VPN" or "APN" might as well be a foreign language. You only share information when specifically asked.

When dealing with technology, you tend to get flustered quickly. You need constant reassurance and often interrupt with anxious questions. Simple requests like "reboot the phone" can trigger worries about losing precious photos.
`,
}

/** What the user knows, filled in from the scenario (`str.format` placeholders in the reference). */
export interface UserInfo {
  readonly name: string
  readonly phone_number: string
  readonly location: string
}

export interface IntentTexts {
  readonly purpose: string
  readonly reasonForCall: string
  readonly taskInstructions: string
  readonly knownInfo: (u: UserInfo) => string
  readonly ticket: (u: UserInfo) => string
}

export const SERVICE_ISSUE_TEXTS: IntentTexts = {
  purpose: "Test resolution path: No Service/Connection Issues.",
  reasonForCall: "Your phone has been showing 'No Service' for the past few hours.",
  taskInstructions: `${MILD_FRUSTRATION} You will consider the issue resolved when the status bar shows that you have signal. Always check the status bar if the agent asks you for status information. If the agent asks you to pay a bill, you accept. ${TOOL_CALL_INFO_CHECK} ${TOOL_CALL_GROUNDING}`,
  knownInfo: (u) => `You are ${u.name} with phone number ${u.phone_number}.`,
  ticket: (u) =>
    `The user is experiencing issues with their phone service. They are unable to make or receive calls, and the status bar shows 'No Service'. Customer name: ${u.name}, phone number: ${u.phone_number}. They gave permission to pay all their overdue bills. They will consider the issue resolved when the status bar shows that they have signal.`,
}

const EXPECTED_SPEED_DESC = "excellent"
const INVALID_SPEED_DESC = "poor, fair or good"

export const MOBILE_DATA_ISSUE_TEXTS: IntentTexts = {
  purpose: "Test resolution path: Mobile Data/Slow Internet Issues.",
  reasonForCall: `You mobile data is not working properly. It either stops working or is very slow. You want to fix it and absolutely want to get ${EXPECTED_SPEED_DESC} internet speed on your phone. You are not willing to accept any other internet speed (${INVALID_SPEED_DESC}). You do not have access to wifi.`,
  taskInstructions: `${MILD_FRUSTRATION} You will consider the issue resolved only when speed test returns ${EXPECTED_SPEED_DESC} internet speed and nothing else. If it returns ${INVALID_SPEED_DESC}, you will not consider the issue resolved. ${WILLING_TO_REFUEL} ${TOOL_CALL_INFO_CHECK} ${TOOL_CALL_GROUNDING}`,
  knownInfo: (u) => `You are ${u.name} with phone number ${u.phone_number}. You are currently ${u.location}.`,
  ticket: (u) =>
    `The user is experiencing issues with their mobile data. They are unable to use their phone to browse the internet, and the status bar shows 'No Service'. Customer name: ${u.name}, phone number: ${u.phone_number}, current location: ${u.location}. They will consider the issue resolved when speed test returns ${EXPECTED_SPEED_DESC} internet speed. They will not change their mobile data plan but they will refuel 2.0 GB of data if necessary.`,
}

export const MMS_ISSUE_TEXTS: IntentTexts = {
  purpose: "Test resolution path: MMS (Picture/Group Messaging) Issues.",
  reasonForCall:
    "You are unable to send MMS messages using your messaging app for the past few hours. You want to fix it and successfully send an MMS message.",
  taskInstructions: `${MILD_FRUSTRATION} ${WILLING_TO_REFUEL} ${TOOL_CALL_INFO_CHECK} ${TOOL_CALL_GROUNDING}`,
  knownInfo: (u) => `You are ${u.name} with phone number ${u.phone_number}. You are currently ${u.location}.`,
  ticket: (u) =>
    `The user has been unable to send MMS messages using their messaging app for the past few hours. Customer name: ${u.name}, phone number: ${u.phone_number}, current location: ${u.location}. They will consider the issue resolved when an MMS message can be successfully sent.`,
}
