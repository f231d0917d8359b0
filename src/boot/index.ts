export { adminTokenBanner } from './admin-token-banner';
export { RETRY_INTERVAL_MS, waitForServices } from './wait-for-services';
