/**
 * What a browser test against a real local cluster needs besides the cluster: a headless Chromium
 * that trusts exactly the agents' serving keys (as a user who imported the cluster CA would), and
 * the control plane as the agents themselves report it, read from the test process.
 *
 *   agentSpkiHashes(agents) ─> <dataDir>/pki/node.crt ─> base64(sha256(SPKI)) each
 *   launchDashboardBrowser(profile, hashes) ─> Chromium --ignore-certificate-errors-spki-list
 *   leaderOf(agents, …) ─> GET /kedge/v1/cluster on each live agent until one names a leader
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { callAgent } from '../../agent/src/cluster/agent-client.ts';
import type { LocalAgent } from '../../agent/src/cluster/local-cluster.ts';
import type { ClusterStatus } from '../../agent/src/web/cluster-status-types.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** base64(sha256(SubjectPublicKeyInfo)) of each agent's serving certificate, Chromium's format. */
export async function agentSpkiHashes(agents: readonly LocalAgent[]): Promise<string[]> {
  return Promise.all(
    agents.map(async (agent) => {
      const pem = await readFile(path.join(agent.dataDir, 'pki', 'node.crt'), 'utf8');
      const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
      return createHash('sha256').update(spki).digest('base64');
    }),
  );
}

export function launchDashboardBrowser(
  profileDir: string,
  spkiHashes: readonly string[],
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Each agent has its own key, signed by the cluster CA: trust exactly those keys.
      `--ignore-certificate-errors-spki-list=${spkiHashes.join(',')}`,
    ],
  });
}

export interface LeaderView {
  readonly id: number;
  readonly name: string;
  readonly apiAddress: string;
  /** The agent that answered. */
  readonly answeredBy: string;
}

/**
 * The leader as the first of `agents` that answers and names one reports it; undefined while no
 * agent names a leader (an election) or none answers.
 */
export async function leaderOf(
  agents: readonly LocalAgent[],
  auth: { readonly caPem: string; readonly token: string },
): Promise<LeaderView | undefined> {
  for (const agent of agents) {
    const reply = await callAgent(agent.apiAddress, '/kedge/v1/cluster', {
      ca: auth.caPem,
      token: auth.token,
      timeoutMs: 1000,
    }).catch(() => undefined);
    if (reply?.status !== 200) continue;
    const status: ClusterStatus = reply.json;
    const leader = status.members.find((m) => m.id === status.leader);
    if (leader === undefined) continue;
    return { id: leader.id, name: leader.name, apiAddress: leader.apiAddress, answeredBy: agent.apiAddress };
  }
  return undefined;
}

/**
 * Whether the agent says it leads (`GET /kedge/v1/node`, about itself only: cheaper than the
 * cluster document, which asks every member), for timing an election from outside the page.
 */
export async function reportsLeading(
  agent: LocalAgent,
  auth: { readonly caPem: string; readonly token: string },
): Promise<boolean> {
  const reply = await callAgent(agent.apiAddress, '/kedge/v1/node', {
    ca: auth.caPem,
    token: auth.token,
    timeoutMs: 1000,
  }).catch(() => undefined);
  return reply?.status === 200 && reply.json?.role === 'leader';
}
