/** A small element builder: text is always set as text, never parsed as HTML. */

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @param {string} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined>} [props]
 *   'class', 'data-*', attributes, and 'on<event>' listeners
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

/**
 * A table with a header row; `cells` turns one row into its cells.
 * @template T
 * @param {string} testId
 * @param {string[]} headers
 * @param {T[]} rows
 * @param {(row: T) => (Child | Child[])[]} cells
 * @param {(row: T) => Record<string, string>} [rowProps]
 */
export function table(testId, headers, rows, cells, rowProps) {
  return h(
    'table',
    { 'data-testid': testId },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, 'none'))
        : rows.map((row) =>
            h(
              'tr',
              rowProps?.(row) ?? {},
              cells(row).map((c) => h('td', {}, c)),
            ),
          ),
    ),
  );
}

/**
 * Calls `draw` at most once per animation frame however many changes arrive.
 * @param {() => void} draw
 */
export function coalesce(draw) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      draw();
    });
  };
}
