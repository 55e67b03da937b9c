/**
 * A worker's upgrade requests (it holds no users, so it cannot authorise an exec itself): the
 * request, bearer token included, is tunnelled to a voter, which authorises it and tunnels on to
 * the pod's node. A voter that does not connect is skipped for the next one.
 *
 *   kubectl ──> worker ══> voter A (no TLS connection?) ──> voter B ══> node of the pod
 */
import { makeStatus } from '../../api/errors.ts';
import { refuseUpgrade, tunnelUpgrade, type UpgradeHandler } from './upgrade-tunnel.ts';

export function forwardUpgrades(upstreams: () => readonly string[], caPem: string): UpgradeHandler {
  return (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/api/')) return false;
    socket.on('error', () => socket.destroy());
    void (async () => {
      const failures: string[] = [];
      for (const address of upstreams()) {
        const colon = address.lastIndexOf(':');
        try {
          await tunnelUpgrade(req, socket, head, {
            host: address.slice(0, colon),
            port: Number(address.slice(colon + 1)),
            path: req.url ?? '/',
            ca: caPem,
            connectTimeoutMs: 1000,
          });
          return;
        } catch (error) {
          failures.push(`${address}: ${(error as Error).message}`);
        }
      }
      refuseUpgrade(
        socket,
        makeStatus(
          'ServiceUnavailable',
          `no voter answered (${failures.join('; ') || 'none known'}); retry shortly or use a voter's address`,
        ),
      );
    })();
    return true;
  };
}
