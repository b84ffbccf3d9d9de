import type { ClusterInput } from '../model';
import { gridCluster } from './builders';

/**
 * The campus the project is sized for: 200 MW site, 5 halls x 75 rows x 10 racks x 4 nodes
 * = 15,000 nodes of 8 H200-class GPUs (120,000 GPUs), 40 kW racks. Rows get 210 kW (less
 * than 40 nodes x 5.6 kW of GPUs at TDP) and halls 15 MW x 1.1 oversubscription, so power,
 * not only GPUs, binds somewhere in the tree.
 */
export function campus200mw(): ClusterInput {
  return gridCluster({
    halls: 5,
    rowsPerHall: 75,
    racksPerRow: 10,
    nodesPerRack: 4,
    gpusPerNode: 8,
    rackWatts: 40_000,
    rowWatts: 210_000,
    hallWatts: 15_000_000,
    hallOversubscription: 1.1,
    siteWatts: 200_000_000,
  });
}
