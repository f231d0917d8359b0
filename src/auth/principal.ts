/** Who is calling: the admin, or a bot API key that may touch only its own bot. */
export type Principal = { kind: 'admin' } | { kind: 'botKey'; botId: string; keyId: string };

export const ADMIN: Principal = { kind: 'admin' };
