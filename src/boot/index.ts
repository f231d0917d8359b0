export { adminTokenBanner } from './admin-token-banner';
export { HEAP_GROWING_PERCENT, limitHeapGrowth } from './heap-growth';
export { RETRY_INTERVAL_MS, waitForServices } from './wait-for-services';
