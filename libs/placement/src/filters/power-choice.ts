import type { ValidPod } from '../request';

/*
 * Which watts a pod runs at: uncapped where that fits, else capped, when the pod has a cap
 * and every GPU of the node accepts its limit (or always capped with `cap.always`). Written
 * once here; the search, the explanation and the reference all ask these functions.
 */

/** Whether the node's GPUs (limit range [limitMin, limitMax] on every GPU) accept the pod's cap. */
export function capAllowed(pod: ValidPod, limitMin: number, limitMax: number): boolean {
  return pod.capLimitWatts !== null && pod.capLimitWatts >= limitMin && pod.capLimitWatts <= limitMax;
}

/** Milliwatts the pod runs at with `roomMw` free, or -1 when neither way fits. */
export function podMilliwatts(pod: ValidPod, capOk: boolean, roomMw: number): number {
  if (pod.uncapped && pod.milliwatts <= roomMw) return pod.milliwatts;
  if (capOk && pod.cappedMilliwatts <= roomMw) return pod.cappedMilliwatts;
  return -1;
}

/** Whether podMilliwatts chose the capped way (a cap never predicts more than uncapped). */
export function runsCapped(pod: ValidPod, milliwatts: number): boolean {
  return !(pod.uncapped && milliwatts === pod.milliwatts);
}

/** The least a node must have free for the pod to run there within `roomMw` (a cap, if allowed), or Infinity. */
export function minNeedMw(pod: ValidPod, capOk: boolean, roomMw: number): number {
  if (capOk && pod.cappedMilliwatts <= roomMw) return pod.cappedMilliwatts;
  return pod.uncapped && pod.milliwatts <= roomMw ? pod.milliwatts : Number.POSITIVE_INFINITY;
}
