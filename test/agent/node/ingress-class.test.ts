import { describe, expect, it } from 'vitest';
import {
  type ClassedIngress,
  type IngressClassObject,
  ingressesServedByKedge,
  KEDGE_INGRESS_CONTROLLER,
} from '../../../agent/src/node/ingress-class.ts';

function ingress(name: string, className?: string, annotation?: string): ClassedIngress {
  return {
    metadata: {
      namespace: 'default',
      name,
      ...(annotation ? { annotations: { 'kubernetes.io/ingress.class': annotation } } : {}),
    },
    spec: className ? { ingressClassName: className } : {},
  };
}

function ingressClass(name: string, controller: string, isDefault = false): IngressClassObject {
  return {
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller },
  };
}

const names = (list: ClassedIngress[]) => list.map((i) => i.metadata.name);

describe('ingressesServedByKedge', () => {
  const all = [
    ingress('plain'),
    ingress('ours', 'kedge'),
    ingress('nginx', 'nginx'),
    ingress('legacy', undefined, 'kedge'),
  ];

  it('serves every Ingress when IngressClasses cannot be listed or none exists', () => {
    expect(names(ingressesServedByKedge(all, undefined))).toEqual(['plain', 'ours', 'nginx', 'legacy']);
    expect(names(ingressesServedByKedge(all, []))).toEqual(['plain', 'ours', 'nginx', 'legacy']);
  });

  it("serves the Ingresses naming kedge's class (field or legacy annotation), not another controller's", () => {
    const classes = [
      ingressClass('kedge', KEDGE_INGRESS_CONTROLLER),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
    ];
    expect(names(ingressesServedByKedge(all, classes))).toEqual(['ours', 'legacy']);
  });

  it("serves class-less Ingresses only when the default class is kedge's", () => {
    const ourDefault = [
      ingressClass('kedge', KEDGE_INGRESS_CONTROLLER, true),
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
    ];
    expect(names(ingressesServedByKedge(all, ourDefault))).toEqual(['plain', 'ours', 'legacy']);
    const theirDefault = [
      ingressClass('kedge', KEDGE_INGRESS_CONTROLLER),
      ingressClass('nginx', 'k8s.io/ingress-nginx', true),
    ];
    expect(names(ingressesServedByKedge(all, theirDefault))).toEqual(['ours', 'legacy']);
  });
});
