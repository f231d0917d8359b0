import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../../config';
import { loggerOptions, TRACKED_LINK_ROUTE, WEBHOOK_ROUTE } from './logger-options';

type LevelOf = (req: IncomingMessage, res: ServerResponse, error?: Error) => string;

function levelOf(logLevel: string): LevelOf {
  const { pinoHttp } = loggerOptions(loadConfig({ LOG_LEVEL: logLevel }));
  return (pinoHttp as { customLogLevel: LevelOf }).customLogLevel;
}

const request = (method: string, url: string): IncomingMessage =>
  ({ method, url }) as IncomingMessage;
const response = (statusCode: number): ServerResponse => ({ statusCode }) as ServerResponse;

describe('request log levels', () => {
  it('keeps accepted webhook deliveries out of the info stream', () => {
    expect(levelOf('info')(request('POST', '/webhooks/messenger'), response(200))).toBe('silent');
    expect(levelOf('debug')(request('POST', '/webhooks/messenger'), response(200))).toBe('debug');
  });

  it('logs refused webhook deliveries and every other request at info, failures as errors', () => {
    const level = levelOf('info');
    expect(level(request('POST', '/webhooks/messenger'), response(403))).toBe('info');
    expect(level(request('GET', '/webhooks/messenger?hub.mode=subscribe'), response(200))).toBe(
      'info',
    );
    expect(level(request('POST', '/api/v1/bots'), response(201))).toBe('info');
    expect(level(request('POST', '/webhooks/messenger'), response(503))).toBe('error');
    expect(level(request('GET', '/health'), response(200), new Error('boom'))).toBe('error');
  });
});

describe('tracked links and webhook deliveries in request logging', () => {
  it('keeps them out of pino-http below debug, and in it at debug', () => {
    expect(loggerOptions(loadConfig({ LOG_LEVEL: 'info' })).exclude).toEqual([
      { method: RequestMethod.ALL, path: TRACKED_LINK_ROUTE },
      { method: RequestMethod.POST, path: WEBHOOK_ROUTE },
    ]);
    expect(loggerOptions(loadConfig({ LOG_LEVEL: 'debug' })).exclude).toBeUndefined();
  });
});
