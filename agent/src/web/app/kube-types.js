// JSDoc names for the Kubernetes types the page reads: the same definitions the API server and
// the CLI use (agent/src/api/types), so the page is checked against what the server sends.
/**
 * @typedef {import('../../api/types/meta.ts').KubeObject} KubeObject
 * @typedef {import('../../api/types/meta.ts').KubeList} KubeList
 * @typedef {import('../../api/types/meta.ts').Status} Status
 * @typedef {import('../../api/types/pod.ts').Pod} Pod
 * @typedef {import('../../api/types/pod.ts').PodTemplateSpec} PodTemplateSpec
 * @typedef {import('../../api/types/apps.ts').Deployment} Deployment
 * @typedef {import('../../api/types/apps.ts').ReplicaSet} ReplicaSet
 * @typedef {import('../../api/types/apps.ts').StatefulSet} StatefulSet
 * @typedef {import('../../api/types/apps.ts').DaemonSet} DaemonSet
 * @typedef {import('../../api/types/batch.ts').Job} Job
 * @typedef {import('../../api/types/core.ts').Service} Service
 * @typedef {import('../../api/types/core.ts').Endpoints} Endpoints
 * @typedef {import('../../api/types/core.ts').Node} Node
 * @typedef {import('../../api/types/core.ts').Event} KubeEvent
 * @typedef {import('../cluster-status-types.ts').ClusterStatus} ClusterStatus
 * @typedef {import('../cluster-status-types.ts').ClusterMember} ClusterMember
 * @typedef {import('../node-metrics-types.ts').NodeMetricsList} NodeMetricsList
 */

/** A watch event as the API streams it, one JSON object per line. */
/** @typedef {{ type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR', object: KubeObject & Partial<Status> }} WatchEvent */

export {};
