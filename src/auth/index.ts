export { AuthModule } from './auth.module';
export { ACCESS_DESCRIPTIONS, type RouteAccess, routeAccess } from './route-access';
