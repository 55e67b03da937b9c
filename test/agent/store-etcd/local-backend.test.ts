// The backend contract against the embedded store: the reference the etcd backend must match.
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';
import { createCmd, describeBackendContract, NAMESPACES } from './backend-contract.ts';

const HISTORY = 64;

describeBackendContract('embedded store', async () => {
  const backend = new LocalBackend(new ObjectStore({ historyCapacity: HISTORY }));
  return {
    backend,
    // The embedded store forgets by pushing old changes out of its bounded history.
    forgetHistory: async () => {
      await backend.create(createCmd(NAMESPACES, { metadata: { name: 'filler' } }));
      for (let i = 0; i < HISTORY; i++)
        await backend.create(
          createCmd(
            { group: '', resource: 'configmaps' },
            { metadata: { name: `f${i}`, namespace: 'filler' } },
          ),
        );
    },
    close: async () => {},
  };
});
