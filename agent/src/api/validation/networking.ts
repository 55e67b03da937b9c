/** networking.k8s.io/v1 kinds: Ingress, IngressClass. */
import { type FieldError, FieldPath, invalid, required } from '../field-errors.ts';
import { validateEnum } from './meta.ts';
import { dns1123Subdomain } from './names.ts';

type Loose = Record<string, unknown>;
const SPEC = new FieldPath('spec');
const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'];

function validateBackend(b: unknown, path: FieldPath): FieldError[] {
  const backend = (b ?? {}) as Loose;
  const svc = backend.service as Loose | undefined;
  if (!svc && !backend.resource)
    return [required(path, 'one backend (service or resource) must be specified')];
  if (!svc) return [];
  const errs: FieldError[] = [];
  if (typeof svc.name !== 'string' || svc.name === '') errs.push(required(path.child('service', 'name')));
  const port = (svc.port ?? {}) as Loose;
  const hasName = typeof port.name === 'string' && port.name !== '';
  const hasNumber = port.number !== undefined;
  if (hasName === hasNumber)
    errs.push(
      invalid(path.child('service', 'port'), svc.port ?? {}, 'exactly one of name or number must be set'),
    );
  else if (hasNumber && (typeof port.number !== 'number' || port.number < 1 || port.number > 65535))
    errs.push(
      invalid(path.child('service', 'port', 'number'), port.number, 'must be between 1 and 65535, inclusive'),
    );
  return errs;
}

export function validateIngressSpec(spec: Loose): FieldError[] {
  const errs: FieldError[] = [];
  const rules = (spec.rules ?? []) as Loose[];
  if (rules.length === 0 && !spec.defaultBackend)
    errs.push(invalid(SPEC, spec, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, SPEC.child('defaultBackend')));
  rules.forEach((rule, i) => {
    const rp = SPEC.child('rules').index(i);
    const host = rule.host;
    if (typeof host === 'string' && host !== '') {
      const bare = host.startsWith('*.') ? host.slice(2) : host;
      for (const m of dns1123Subdomain(bare)) errs.push(invalid(rp.child('host'), host, m));
    }
    const paths = ((rule.http as Loose | undefined)?.paths ?? []) as Loose[];
    paths.forEach((p, j) => {
      const pp = rp.child('http', 'paths').index(j);
      errs.push(...validateEnum(p.pathType, PATH_TYPES, pp.child('pathType'), true));
      const path = p.path;
      if (p.pathType !== 'ImplementationSpecific' && (typeof path !== 'string' || !path.startsWith('/')))
        errs.push(invalid(pp.child('path'), path ?? '', 'must be an absolute path'));
      errs.push(...validateBackend(p.backend, pp.child('backend')));
    });
  });
  return errs;
}

const PARAMETER_SCOPES = ['Cluster', 'Namespace'];

/** IngressClass: a domain-prefixed controller (immutable), and parameters that name one object. */
export function validateIngressClassSpec(spec: Loose | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const controller = spec?.controller;
  if (typeof controller !== 'string' || controller === '') errs.push(required(SPEC.child('controller')));
  else if (controller.length > 250)
    errs.push(invalid(SPEC.child('controller'), controller, 'must be no more than 250 characters'));
  else {
    const [domain = '', ...rest] = controller.split('/');
    if (rest.length === 0 || rest.join('/') === '' || dns1123Subdomain(domain).length > 0)
      errs.push(
        invalid(
          SPEC.child('controller'),
          controller,
          'must be a domain-prefixed path (such as "acme.io/foo"); kedge serves "kedge.io/ingress-controller"',
        ),
      );
  }
  const parameters = spec?.parameters as Loose | undefined;
  if (parameters !== undefined) {
    const path = SPEC.child('parameters');
    if (typeof parameters.kind !== 'string' || parameters.kind === '')
      errs.push(required(path.child('kind')));
    if (typeof parameters.name !== 'string' || parameters.name === '')
      errs.push(required(path.child('name')));
    const scope = parameters.scope ?? 'Cluster';
    errs.push(...validateEnum(scope, PARAMETER_SCOPES, path.child('scope')));
    const namespace = parameters.namespace;
    if (scope === 'Namespace' && (typeof namespace !== 'string' || namespace === ''))
      errs.push(required(path.child('namespace'), '`parameters.scope` is set to "Namespace"'));
    if (scope === 'Cluster' && namespace !== undefined)
      errs.push(invalid(path.child('namespace'), namespace, '`parameters.scope` is set to "Cluster"'));
  }
  return errs;
}

/** spec.controller cannot change: Ingresses already served by one controller would move. */
export function ingressClassUpdate(next: Loose, old: Loose): FieldError[] {
  const controller = (o: Loose) => (o.spec as Loose | undefined)?.controller;
  return controller(next) === controller(old)
    ? []
    : [invalid(SPEC.child('controller'), controller(next) ?? null, 'field is immutable')];
}
