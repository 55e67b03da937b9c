/**
 * The dashboard's entry point: the login (a bearer token, checked against the API and kept in
 * sessionStorage), then the shell — connection line, navigation, the current page — over one
 * AgentPool, one ClusterMonitor and the shared informers.
 *
 *   login ─▶ GET /version with the token ─▶ 401: say so | ok: saveToken ─▶ shell
 *   shell: #overview | #workloads | #actions ─▶ show<Page>(root, ctx) ─▶ returns its stop()
 *   pool 'switch' ─▶ connection line + log (the page itself keeps running)
 */
import { showActions } from './actions-page.js';
import { AgentPool } from './agent-pool.js';
import { ClusterMonitor } from './cluster-monitor.js';
import { h } from './dom.js';
import { InformerSet, watchLimitFor } from './informer-set.js';
import { showOverview } from './overview-page.js';
import { forgetToken, savedToken, saveToken } from './session.js';
import { showWorkloads } from './workloads-page.js';

/**
 * What every page gets.
 * @typedef {{ pool: AgentPool, monitor: ClusterMonitor, informers: InformerSet }} PageContext
 */

/** @type {Record<string, (root: HTMLElement, ctx: PageContext) => () => void>} */
const pages = { overview: showOverview, workloads: showWorkloads, actions: showActions };

const app = /** @type {HTMLElement} */ (document.getElementById('app'));

function showLogin(message = '') {
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'password',
      name: 'token',
      autocomplete: 'off',
      'data-testid': 'token',
      required: true,
    })
  );
  const problem = h('p', { class: 'error', 'data-testid': 'login-error' }, message);
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'kedge'),
    h('label', {}, 'Bearer token', input),
    h(
      'p',
      { class: 'muted' },
      'The admin token from kedge init (or any token the API accepts). It stays in this tab only.',
    ),
    h('button', { type: 'submit', 'data-testid': 'login' }, 'Log in'),
    problem,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void login(input.value.trim()).then(
      (error) => problem.replaceChildren(error),
      (error) =>
        problem.replaceChildren(
          `the agent did not answer: ${error instanceof Error ? error.message : error}`,
        ),
    );
  });
  app.replaceChildren(form);
  input.focus();
}

/**
 * @param {string} token
 * @returns {Promise<string>} why the login failed; the shell replaces the form when it did not
 */
async function login(token) {
  if (token === '') return 'enter a token';
  const pool = new AgentPool(token, location.origin);
  const reply = await pool.fetch('/version', { timeoutMs: 5000 });
  if (reply.status === 401) return 'the API refused this token (401); check it and try again';
  if (!reply.ok) return `the API answered ${reply.status}; try again shortly`;
  saveToken(token);
  showShell(pool);
  return '';
}

/** @param {AgentPool} pool */
function showShell(pool) {
  const protocol = /** @type {PerformanceNavigationTiming | undefined} */ (
    performance.getEntriesByType('navigation')[0]
  )?.nextHopProtocol;
  const ctx = {
    pool,
    monitor: new ClusterMonitor(pool),
    informers: new InformerSet(pool, watchLimitFor(protocol)),
  };
  const agent = h('span', { 'data-testid': 'agent' }, pool.current);
  const connectionLog = h('ol', { class: 'connection-log', 'data-testid': 'connection-log' });
  const nav = h(
    'nav',
    {},
    ...Object.keys(pages).map((name) =>
      h('a', { href: `#${name}`, 'data-page': name }, name[0]?.toUpperCase() + name.slice(1)),
    ),
  );
  const logout = h(
    'button',
    {
      class: 'link',
      onclick: () => {
        stop();
        forgetToken();
        showLogin();
      },
    },
    'Log out',
  );
  const main = h('main', {});
  app.replaceChildren(
    h('header', {}, h('strong', {}, 'kedge'), nav, h('span', { class: 'muted' }, 'via '), agent, logout),
    connectionLog,
    main,
  );

  pool.addEventListener('switch', (event) => {
    const { from, to, reason } = /** @type {CustomEvent<{ from: string, to: string, reason: string }>} */ (
      event
    ).detail;
    agent.replaceChildren(to);
    connectionLog.prepend(
      h('li', {}, h('time', {}, new Date().toLocaleTimeString()), ` lost ${from} (${reason}); now via ${to}`),
    );
  });
  pool.addEventListener('unauthorized', () => {
    stop();
    forgetToken();
    showLogin('the API no longer accepts this token; log in again');
  });

  let stopPage = () => {};
  const route = () => {
    const name = location.hash.slice(1) in pages ? location.hash.slice(1) : 'overview';
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('current', a.dataset.page === name);
    stopPage();
    stopPage = pages[name]?.(main, ctx) ?? (() => {});
  };
  window.addEventListener('hashchange', route);
  const stop = () => {
    window.removeEventListener('hashchange', route);
    stopPage();
    ctx.informers.stopAll();
    ctx.monitor.stop();
  };
  ctx.monitor.start();
  route();
}

const token = savedToken();
if (token === '') showLogin();
else {
  void login(token).then(
    (error) => {
      if (error !== '') showLogin(error);
    },
    (error) => showLogin(`the agent did not answer: ${error instanceof Error ? error.message : error}`),
  );
}
