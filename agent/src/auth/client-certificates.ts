import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Identity } from './tokens.ts';

/**
 * Identity from a TLS client certificate that the cluster CA signed (agents and the kedge CLI
 * may use one instead of a token): the CN is the user, each O a group — as in Kubernetes.
 * Undefined when the connection is not TLS, presented no certificate, or it did not verify.
 */
export function certificateIdentity(socket: Socket): Identity | undefined {
  const tls = socket as TLSSocket;
  if (tls.encrypted !== true || tls.authorized !== true) return undefined;
  const subject = tls.getPeerCertificate().subject;
  const name = first(subject?.CN);
  if (!name) return undefined;
  const organizations = subject?.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
  return { name, groups: [...organizations, 'system:authenticated'] };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
