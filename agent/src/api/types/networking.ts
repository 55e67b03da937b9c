/** networking.k8s.io/v1 Ingress: HTTP routes by host and path to Services, TLS from Secrets. */
import type { KubeObject } from './meta.ts';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface ServiceBackendPort {
  name?: string;
  number?: number;
}
export interface IngressServiceBackend {
  name: string;
  port: ServiceBackendPort;
}
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: { apiGroup?: string; kind: string; name: string };
}
export interface HTTPIngressPath {
  path?: string;
  pathType: PathType;
  backend: IngressBackend;
}
export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}
export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}
export interface IngressStatus {
  loadBalancer?: {
    ingress?: {
      ip?: string;
      hostname?: string;
      ports?: { port: number; protocol: 'TCP' | 'UDP' | 'SCTP'; error?: string }[];
    }[];
  };
}
/** networking.k8s.io/v1 IngressClass: which controller serves the Ingresses that name it. */
export interface IngressClass extends KubeObject {
  spec?: IngressClassSpec;
}

export interface IngressClassSpec {
  /** The controller that implements the class, e.g. kedge.io/ingress-controller. */
  controller?: string;
  parameters?: {
    apiGroup?: string;
    kind: string;
    name: string;
    namespace?: string;
    scope?: string;
  };
}

export interface Ingress extends KubeObject {
  spec?: IngressSpec;
  status?: IngressStatus;
}
