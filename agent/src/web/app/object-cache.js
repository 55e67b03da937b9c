/**
 * The page's copy of one resource, kept current by list + watch (informer.js): objects by
 * namespace/name, and the resourceVersion to resume from.
 */
/** @typedef {import('./kube-types.js').KubeObject} KubeObject */
/** @typedef {import('./kube-types.js').WatchEvent} WatchEvent */

/** @param {KubeObject} object */
export function keyOf(object) {
  const m = object.metadata;
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

/**
 * A cache filled from a list reply.
 * @param {{ items: KubeObject[], metadata?: { resourceVersion?: string } }} list
 * @returns {{ objects: Map<string, KubeObject>, resourceVersion: string }}
 */
export function cacheFromList(list) {
  const objects = new Map();
  for (const item of list.items) objects.set(keyOf(item), item);
  return { objects, resourceVersion: list.metadata?.resourceVersion ?? '' };
}

/**
 * Applies one watch event. Returns what the caller must do next: 'changed' (redraw), 'quiet'
 * (a bookmark: only the resume point moved), 'expired' (410: list again) or 'failed'.
 * @param {{ objects: Map<string, KubeObject>, resourceVersion: string }} cache
 * @param {WatchEvent} event
 * @returns {'changed' | 'quiet' | 'expired' | 'failed'}
 */
export function applyWatchEvent(cache, event) {
  if (event.type === 'ERROR') return event.object.code === 410 ? 'expired' : 'failed';
  const rv = event.object.metadata?.resourceVersion;
  if (rv) cache.resourceVersion = rv;
  if (event.type === 'BOOKMARK') return 'quiet';
  const key = keyOf(event.object);
  if (event.type === 'DELETED') cache.objects.delete(key);
  else cache.objects.set(key, event.object);
  return 'changed';
}
