export { startKubeSim, SimulatedNodes, type KubeSim, type KubeSimOptions } from './kube-sim';
export { runKubeSimCommand, type KubeSimCommandOptions } from './kube-sim-command';
export { FaultInjector, type FaultOptions } from './fault-injector';
export { KubeApiError } from './api-error';
export { ObjectApi } from './object-api';
export { ObjectStore, type StoreEvent } from './object-store';
export type { KubeObject, ObjectMeta, ResourceType } from './resource-type';
export { nodesFromTopology } from './gpu-nodes';
export { renderKubeconfig } from './kubeconfig';
