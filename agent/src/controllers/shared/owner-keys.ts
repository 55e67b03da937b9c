/** Which owners a change to a dependant concerns: its controller, or any owner that may adopt it. */
import { matchesLabels, type Selector } from '../../api/label-selector.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import type { ResourceRef } from '../runtime/client.ts';
import type { ControllerView } from '../runtime/controller.ts';
import { controllerOf, keyOf } from '../runtime/objects.ts';

/** Keys of the owners of kind `kind` (in `ownerRef`) of an object and its previous state, or of every candidate owner that selects an orphan. */
export function ownerKeys(kind: string, ownerRef: ResourceRef, selectorOf: (owner: KubeObject) => Selector) {
  return (o: KubeObject, old: KubeObject | undefined, view: ControllerView): string[] => {
    const keys = new Set<string>();
    const ns = o.metadata.namespace ?? '';
    for (const x of [o, old]) {
      if (x === undefined) continue;
      const c = controllerOf(x);
      if (c !== undefined) {
        if (c.kind === kind) keys.add(`${ns}/${c.name}`);
        continue;
      }
      // An orphan (or one just released): any owner whose selector matches may adopt it.
      for (const owner of view.list(ownerRef, ns))
        if (matchesLabels(selectorOf(owner), x.metadata.labels)) keys.add(keyOf(owner));
    }
    return [...keys];
  };
}
