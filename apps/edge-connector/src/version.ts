/** Reported to the broker in AUTH.agent.version; bump with releases. */
export const AGENT_VERSION = '0.1.0';
