export type { ClusterMember, ClusterStatus, MemberNodeStatus } from './cluster-status-types.ts';
export { CLUSTER_STATUS_PATH } from './cluster-status-types.ts';
export { agentOrigins, corsDecision, type OriginPredicate } from './cors-policy.ts';
export {
  contentSecurityPolicy,
  type DashboardOptions,
  dashboardListener,
  mountDashboard,
} from './dashboard-handler.ts';
export { NODE_METRICS_PATH, type NodeMetrics, type NodeMetricsList } from './node-metrics-types.ts';
export { DASHBOARD_PREFIX, type DashboardAssets, loadDashboardAssets } from './static-assets.ts';
