import { type AppConfig } from '../config';

/**
 * A short plain banner with the admin token generated for this run and where the API docs are, for
 * a person at a terminal (stderr, outside the JSON log stream). Null when there is nothing to show:
 * the token was configured, the process serves no HTTP, or it runs in production (which requires
 * ADMIN_TOKEN anyway).
 */
export function adminTokenBanner(config: AppConfig): string | null {
  if (!config.adminTokenGenerated || !config.runsHttp || config.isProduction) return null;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return [
    '',
    '  ADMIN_TOKEN is not set: this run generated an admin token (development only).',
    `    Admin token:  ${config.adminToken}`,
    `    API docs:     http://${host}:${config.port}/docs`,
    '    Send it as:   Authorization: Bearer <admin token>',
    '',
    '',
  ].join('\n');
}
