/** The agent's version; the API server reports it at /version. */
export const AGENT_VERSION = '0.1.0';
