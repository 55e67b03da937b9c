/**
 * The dashboard in a real headless Chromium against three API servers (dashboard-cluster.ts):
 * log in with a token, see the nodes and their roles with live CPU and memory, scale a Deployment
 * from the page and see its pods appear, then kill the leader's agent — the very agent the page
 * was loaded from — and watch the page move to another agent and show the election and the new
 * leader without a reload. Screenshots go to .artifacts/web/; the timings are printed.
 *
 * Pods come from fake controllers in this process (fake-workload-controllers.ts): the real ones
 * are not wired to an agent yet.
 */

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { type DashboardCluster, startDashboardCluster } from './dashboard-cluster.ts';
import { type FakeControllers, startFakeWorkloadControllers } from './fake-workload-controllers.ts';

const chromiumPath = '/usr/bin/chromium';
const artifacts = path.resolve(import.meta.dirname, '../../../.artifacts/web');
const hasChromium = existsSync(chromiumPath);

let dir: string;
let cluster: DashboardCluster;
let controllers: FakeControllers;
let context: BrowserContext;
let page: Page;
const figures: Record<string, number> = {};

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(path.join(tmpdir(), 'kedge-web-'));
  await mkdir(artifacts, { recursive: true });
  cluster = await startDashboardCluster(dir);
  controllers = startFakeWorkloadControllers(
    cluster.store,
    cluster.agents.map((a) => a.name),
  );
  await new LocalBackend(cluster.store).create({
    op: 'create',
    group: 'apps',
    resource: 'deployments',
    uid: 'deploy-web',
    creationTimestamp: '2026-01-01T00:00:00Z',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', generation: 1 },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'httpd', image: 'localhost/kedge/busybox:latest' }] },
        },
      },
    } as never,
  });
  await controllers.idle();
  context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: chromiumPath,
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
      // Trust exactly the agents' serving key, as a user who imported the cluster CA would.
      `--ignore-certificate-errors-spki-list=${cluster.spkiSha256}`,
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  if (!hasChromium) return;
  await context?.close();
  controllers?.stop();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
  console.log(`dashboard figures (ms): ${JSON.stringify(figures)}`);
});

const leaderAgent = () => cluster.agents[0]!;

describe.skipIf(!hasChromium)('the dashboard in Chromium', () => {
  it('logs in with a token and shows every node with its role, the leader highlighted', async () => {
    const started = Date.now();
    await page.goto(cluster.url(leaderAgent()));
    await page.getByTestId('token').waitFor();
    figures.loginFormShown = Date.now() - started;

    await page.getByTestId('token').fill('not-a-token');
    await page.getByTestId('login').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('refused');

    const loginAt = Date.now();
    await page.getByTestId('token').fill(cluster.adminToken);
    await page.getByTestId('login').click();
    await page.locator('[data-node="edge-a"][data-role="leader"]').waitFor();
    figures.loginToNodesShown = Date.now() - loginAt;
    await expect(page.locator('[data-node="edge-b"]').getAttribute('data-role')).resolves.toBe('candidate');
    await expect(page.locator('[data-node="edge-c"]').getAttribute('data-role')).resolves.toBe('worker');
    await expect(page.locator('.node.leader h3').textContent()).resolves.toBe('edge-a');
    await expect(page.getByTestId('leader-name').textContent()).resolves.toBe('edge-a');
    expect(await page.evaluate(() => sessionStorage.getItem('kedge.dashboard.token'))).toBe(
      cluster.adminToken,
    );

    // Live CPU and memory from the machine's real measurements: several points, each a share.
    await expect
      .poll(() => page.locator('[data-node="edge-a"] .usage').textContent(), { timeout: 10_000 })
      .toMatch(/^CPU \d+\.\d\d cores \(\d+(\.\d)?%\) · memory \d/);
    await page.waitForTimeout(2500);
    await page.screenshot({ path: path.join(artifacts, '1-overview.png'), fullPage: true });

    // A reload with the token in this tab's session storage: the page load a user sees.
    const reloadAt = Date.now();
    await page.reload();
    await page.locator('[data-node="edge-a"][data-role="leader"]').waitFor();
    figures.reloadToNodesShown = Date.now() - reloadAt;
  });

  it('scales a Deployment from the Actions page and shows the pods appear', async () => {
    await page.goto(`${cluster.url(leaderAgent())}#actions`);
    await page
      .getByTestId('deployment')
      .locator('option[value="default/web"]')
      .waitFor({ state: 'attached' });
    await page.getByTestId('deployment').selectOption('default/web');
    await page.getByTestId('replicas').fill('3');
    await page.getByTestId('scale').click();
    await expect
      .poll(() => page.getByTestId('action-log').textContent())
      .toContain('scale deployment default/web to 3: done');
    await page.screenshot({ path: path.join(artifacts, '2-actions.png'), fullPage: true });

    await page.goto(`${cluster.url(leaderAgent())}#workloads`);
    const webPods = page.locator('[data-testid="pods"] tr[data-name^="web-"][data-status="Running"]');
    await expect.poll(() => webPods.count(), { timeout: 10_000 }).toBe(3);
    await expect
      .poll(() => page.locator('[data-testid="deployments"] tr[data-name="web"] td').nth(2).textContent())
      .toBe('3/3');
    const nodes = await page.locator('[data-testid="pods"] tr[data-name^="web-"] td').allTextContents();
    expect(nodes.filter((t) => t.startsWith('edge-')).length).toBe(3);
    await page.screenshot({ path: path.join(artifacts, '3-workloads.png'), fullPage: true });
  });

  it('shows the election and the new leader when the leader dies, without a reload, and keeps watching', async () => {
    await page.goto(`${cluster.url(leaderAgent())}#overview`);
    await page.locator('[data-node="edge-a"][data-role="leader"]').waitFor();
    await page.evaluate('window.sameDocument = true');

    // The leader's agent dies (the one serving this page); the voters elect edge-b after 1.5 s.
    const killedAt = Date.now();
    await cluster.stopAgent(leaderAgent());
    figures.agentStop = Date.now() - killedAt;
    cluster.electLeader(0, 2);
    await page.locator('[data-testid="leadership"][data-state="election"]').waitFor({ timeout: 10_000 });
    figures.leaderDeathToElectionShown = Date.now() - killedAt;
    await page.screenshot({ path: path.join(artifacts, '4-election.png'), fullPage: true });
    await page.waitForTimeout(Math.max(0, 1500 - (Date.now() - killedAt)));

    const electedAt = Date.now();
    cluster.electLeader(2, 2);
    await page.locator('[data-testid="leadership"][data-leader="edge-b"]').waitFor({ timeout: 10_000 });
    figures.leaderChangeToPageShown = Date.now() - electedAt;
    figures.leaderDeathToNewLeaderShown = Date.now() - killedAt;
    await expect(page.locator('.node.leader h3').textContent()).resolves.toBe('edge-b');
    await expect(page.locator('[data-node="edge-a"]').getAttribute('data-health')).resolves.toBe(
      'unreachable',
    );
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    await expect(page.getByTestId('agent').textContent()).resolves.not.toBe(
      `https://${leaderAgent().address}`,
    );
    await expect(page.getByTestId('connection-log').textContent()).resolves.toContain(
      `lost https://${leaderAgent().address}`,
    );
    const timeline = await page.locator('[data-testid="leader-timeline"] li span').allTextContents();
    expect(timeline).toEqual([
      'edge-b leads (term 2)',
      'election (term 2): no leader',
      'edge-a leads (term 1)',
    ]);
    await page.screenshot({ path: path.join(artifacts, '5-new-leader.png'), fullPage: true });

    // The watches resumed on the surviving agent: a change made now still reaches the page.
    await page.evaluate("location.hash = '#workloads'");
    await page.locator('[data-testid="pods"] tr[data-name^="web-"]').first().waitFor();
    const backend = new LocalBackend(cluster.store);
    const web = await backend.get({
      group: 'apps',
      resource: 'deployments',
      namespace: 'default',
      name: 'web',
    });
    await backend.update({
      op: 'update',
      group: 'apps',
      resource: 'deployments',
      object: { ...web, spec: { ...(web as unknown as { spec: object }).spec, replicas: 1 } } as never,
    });
    const webPods = page.locator('[data-testid="pods"] tr[data-name^="web-"]');
    await expect.poll(() => webPods.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    await page.screenshot({ path: path.join(artifacts, '6-workloads-after-failover.png'), fullPage: true });
  });
});
