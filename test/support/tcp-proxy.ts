import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port';

/**
 * A loopback TCP proxy in front of a real service (Redis, Postgres). `cut()` drops every connection
 * and refuses new ones, as if the service went away, without touching the service other suites use.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /**
   * Listens on `port`, by default on one outside the ephemeral range (freePort), so that nothing
   * takes it while the proxy is cut and `restore` finds it free again; a default port another
   * suite took between its choice and the listen is chosen again (3 tries).
   */
  async start(port?: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listen(port ?? (await freePort()));
      } catch (error) {
        const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (port !== undefined || !taken || attempt === 3) throw error;
      }
    }
  }

  private async listen(port: number): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.track(client);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const destroy = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', destroy).on('close', destroy);
      upstream.on('error', destroy).on('close', destroy);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (error) => {
        this.server = undefined;
        reject(error);
      });
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Stops listening and kills live connections. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port (no-op while listening). */
  async restore(): Promise<void> {
    if (this.server) return;
    await this.start(this.port);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
