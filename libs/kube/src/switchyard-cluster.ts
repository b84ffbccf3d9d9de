/**
 * What the control plane gets from this library: one object per API server connection that
 * hands out informers, writers, the binder, the event recorder and the leader elector.
 */
import { ClusterConnection, type KubeConfigSource } from './cluster-connection';
import { EventRecorder, type EventRecorderOptions } from './event-recorder';
import { collectionPath, type KubeObject, type NodeObject, type PodObject } from './kube-objects';
import { LeaseLeaderElector, type LeaderElectionOptions } from './lease-leader-election';
import { ModelDeploymentClient } from './model-deployment-client';
import { PodBinder, type PodBinderOptions } from './pod-binder';
import { PodClient } from './pod-client';
import { PodEvictor } from './pod-eviction';
import { ResourceInformer, type InformerOptions } from './resource-informer';

export type CommonInformerOptions = Omit<InformerOptions, 'resource' | 'path'>;

export interface SwitchyardClusterOptions {
  readonly binder?: PodBinderOptions;
}

export class SwitchyardCluster {
  readonly pods: PodClient;
  readonly binder: PodBinder;
  readonly evictor: PodEvictor;
  readonly modelDeployments: ModelDeploymentClient;

  private constructor(
    readonly connection: ClusterConnection,
    options: SwitchyardClusterOptions,
  ) {
    this.pods = new PodClient(connection);
    this.binder = new PodBinder(connection, options.binder);
    this.evictor = new PodEvictor(connection);
    this.modelDeployments = new ModelDeploymentClient(connection);
  }

  /** Connects with credentials from `source`; no request is made until something is used. */
  static connect(source: KubeConfigSource, options: SwitchyardClusterOptions = {}): SwitchyardCluster {
    return new SwitchyardCluster(ClusterConnection.connect(source), options);
  }

  get server(): string {
    return this.connection.server;
  }

  get defaultNamespace(): string {
    return this.connection.defaultNamespace;
  }

  /** Pods of all namespaces (or one); e.g. `fieldSelector: 'spec.schedulerName=switchyard'`. */
  podInformer(options: CommonInformerOptions & { namespace?: string } = {}): ResourceInformer<PodObject> {
    return new ResourceInformer<PodObject>(this.connection, {
      ...options,
      resource: 'pods',
      path: collectionPath('v1', 'pods', options.namespace),
    });
  }

  nodeInformer(options: CommonInformerOptions = {}): ResourceInformer<NodeObject> {
    return new ResourceInformer<NodeObject>(this.connection, {
      ...options,
      resource: 'nodes',
      path: collectionPath('v1', 'nodes'),
    });
  }

  /** Any other collection, e.g. `informer('v1', 'events', { namespace })`. */
  informer<T extends KubeObject>(
    apiVersion: string,
    plural: string,
    options: CommonInformerOptions & { namespace?: string } = {},
  ): ResourceInformer<T> {
    return new ResourceInformer<T>(this.connection, {
      ...options,
      resource: plural,
      path: collectionPath(apiVersion, plural, options.namespace),
    });
  }

  eventRecorder(options: EventRecorderOptions): EventRecorder {
    return new EventRecorder(this.connection, options);
  }

  leaderElector(options: LeaderElectionOptions): LeaseLeaderElector {
    return new LeaseLeaderElector(this.connection, options);
  }
}
