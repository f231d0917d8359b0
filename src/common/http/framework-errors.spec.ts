import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors';
import { refuseRequestsWhileClosing } from './framework-errors';

type Hook = (...args: unknown[]) => void;

describe('refuseRequestsWhileClosing', () => {
  it('lets requests through until Fastify starts closing, then refuses them with 503 SHUTTING_DOWN', () => {
    const hooks = new Map<string, Hook>();
    const fastify = { addHook: (name: string, hook: Hook) => hooks.set(name, hook) };
    refuseRequestsWhileClosing(fastify as unknown as FastifyInstance);
    const headers: Record<string, string> = {};
    const reply = { header: (name: string, value: string) => (headers[name] = value) };
    const onRequest = (): unknown => {
      let passed: unknown = 'not called';
      hooks.get('onRequest')!({}, reply, (error?: unknown) => (passed = error));
      return passed;
    };

    expect(onRequest()).toBeUndefined();
    hooks.get('preClose')!(() => undefined);
    const refused = onRequest();
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'SHUTTING_DOWN' });
    expect((refused as AppError).getStatus()).toBe(503);
    expect(headers.connection).toBe('close');
  });
});
