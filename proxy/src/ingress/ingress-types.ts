/**
 * The little of an Ingress and a TLS Secret the ingress proxy needs, in networking.k8s.io/v1's own
 * field names, so the agent hands its cached objects over as they are (the proxy depends on
 * nothing of the agent but these shapes).
 */

export interface IngressServiceBackend {
  readonly name: string;
  readonly port: { readonly name?: string; readonly number?: number };
}

export interface IngressBackendRef {
  readonly service?: IngressServiceBackend;
}

export interface IngressPathRule {
  readonly path?: string;
  readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  readonly backend: IngressBackendRef;
}

export interface IngressRuleSpec {
  readonly host?: string;
  readonly http?: { readonly paths: readonly IngressPathRule[] };
}

export interface ProxyIngress {
  readonly metadata: {
    readonly namespace?: string;
    readonly name?: string;
    readonly creationTimestamp?: string;
  };
  readonly spec?: {
    readonly defaultBackend?: IngressBackendRef;
    readonly tls?: readonly { readonly hosts?: readonly string[]; readonly secretName?: string }[];
    readonly rules?: readonly IngressRuleSpec[];
  };
}

/** A kubernetes.io/tls Secret's PEM contents (data `tls.crt` and `tls.key`, decoded). */
export interface TlsSecret {
  readonly namespace: string;
  readonly name: string;
  readonly cert: string;
  readonly key: string;
}
