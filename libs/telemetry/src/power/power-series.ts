/**
 * The exporter series measured power is read from, as the field names them: NVIDIA's DCGM
 * exporter per GPU and the Prometheus IPMI exporter (DCMI) per node. One place, because the
 * simulated exporters write them and both telemetry sources read them.
 */
export const DCGM_POWER_USAGE = 'DCGM_FI_DEV_POWER_USAGE';
export const DCGM_POWER_LIMIT = 'DCGM_FI_DEV_POWER_MGMT_LIMIT';
export const IPMI_POWER = 'ipmi_dcmi_power_consumption_watts';

/** DCGM exporter's labels: GPU index and UUID, the node (`Hostname`), and the pod using the GPU. */
export const DCGM_LABEL = {
  gpu: 'gpu',
  uuid: 'UUID',
  device: 'device',
  modelName: 'modelName',
  hostname: 'Hostname',
  container: 'container',
  namespace: 'namespace',
  pod: 'pod',
} as const;

/**
 * The label naming the node on IPMI series. A real ipmi_exporter has none (the scrape target
 * becomes `instance`); the simulated one serves every node from one endpoint, so it says `node`,
 * and a site relabels its BMC targets to the same label (docs/telemetry.md).
 */
export const IPMI_NODE_LABEL = 'node';

/** Paths of the simulated exporters on the embedded Kubernetes API's address. */
export const EXPORTER_PATH = { dcgm: '/exporters/dcgm/metrics', ipmi: '/exporters/ipmi/metrics' } as const;
