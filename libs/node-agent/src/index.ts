export * from './gpu-power-reading';
export * from './power-limit-plan';
export * from './power-limit-enforcement';
export * from './power-limit-actuator';
export * from './nvidia-smi-actuator';
export * from './simulated-gpu-power';
export * from './node-power-agent';
