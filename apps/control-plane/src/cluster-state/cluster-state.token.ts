/** Nest token of the ClusterState (null when the control plane runs without Kubernetes: nothing is placed then). */
export const CLUSTER_STATE = Symbol('CLUSTER_STATE');
