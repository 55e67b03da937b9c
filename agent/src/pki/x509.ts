// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata API
// loaded before it; importing x509 only through this file guarantees that order.
import 'reflect-metadata';

export * from '@peculiar/x509';
