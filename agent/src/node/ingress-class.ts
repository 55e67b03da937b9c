/**
 * Which Ingresses kedge's ingress proxy serves, by IngressClass (networking.k8s.io/v1), as
 * Kubernetes defines it (pure):
 *
 *   class name = spec.ingressClassName ?? annotation kubernetes.io/ingress.class (the older form)
 *   named      -> served iff that IngressClass exists and its spec.controller is kedge's
 *   unnamed    -> served iff the default class (annotation ingressclass.kubernetes.io/is-default-class
 *                 = "true") is kedge's
 *   no IngressClass at all, or classes unknown (the API does not serve ingressclasses) -> every
 *   Ingress is served: a cluster that never set classes up keeps working as before classes existed
 */
import type { ProxyIngress } from '../../../proxy/src/ingress/ingress-types.ts';

/** spec.controller of the IngressClasses kedge serves. */
export const KEDGE_INGRESS_CONTROLLER = 'kedge.io/ingress-controller';
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export interface IngressClassObject {
  readonly metadata: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: { readonly controller?: string };
}

export interface ClassedIngress extends ProxyIngress {
  readonly metadata: ProxyIngress['metadata'] & { readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: ProxyIngress['spec'] & { readonly ingressClassName?: string };
}

/** The Ingresses kedge serves among `ingresses`; `classes` undefined when they cannot be listed. Pure. */
export function ingressesServedByKedge<T extends ClassedIngress>(
  ingresses: readonly T[],
  classes: readonly IngressClassObject[] | undefined,
): T[] {
  if (classes === undefined || classes.length === 0) return [...ingresses];
  const ours = new Set(
    classes.filter((c) => c.spec?.controller === KEDGE_INGRESS_CONTROLLER).map((c) => c.metadata.name),
  );
  const defaults = classes.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  const unnamedServed = defaults.some((c) => c.spec?.controller === KEDGE_INGRESS_CONTROLLER);
  return ingresses.filter((ing) => {
    const name = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[CLASS_ANNOTATION];
    return name === undefined || name === '' ? unnamedServed : ours.has(name);
  });
}
