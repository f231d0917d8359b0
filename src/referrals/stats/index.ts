/**
 * What the referrals module's other folders (tracked links) use of its statistics: the rollup
 * counts, summed per row before they are written (`RollupDeltas`).
 */
export { RollupDeltas } from './rollups';
