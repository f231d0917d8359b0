import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';
export const ADMIN_ONLY = 'auth:adminOnly';

/** The route needs no bearer token (health, webhooks, public pages). */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC, true);

/** Only the admin token may call the route; bot API keys get 403. */
export const AdminOnly = (): ClassDecorator & MethodDecorator => SetMetadata(ADMIN_ONLY, true);
