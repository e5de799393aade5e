/**
 * The emulator's listening sockets: bind servers with a clear error for ports in use, and track every TCP connection
 * (including ones still in the TLS handshake and idle keep-alive sockets) so a server closes at once.
 */
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { ExitCode, KvdrError } from '../../core/errors.js'

type AnyServer = HttpServer | HttpsServer

export class Listeners {
  private readonly sockets = new Map<AnyServer, Set<Socket>>()

  constructor(private readonly host: string) {}

  /** Bind `server` to `port` (0 = any free port) on the host. Throws KvdrError EMULATOR_PORT when the port is taken. */
  async listen<S extends AnyServer>(server: S, port: number, what: string): Promise<{ server: S; port: number }> {
    const open = new Set<Socket>()
    this.sockets.set(server, open)
    server.on('connection', (socket: Socket) => {
      open.add(socket)
      socket.once('close', () => open.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new KvdrError('EMULATOR_PORT', ExitCode.Failure, `Port ${port} (${what}) on ${this.host} is already in use.`, {
                hint: 'Stop whatever uses it, or choose other ports (--port, --identity-port, or port in the vault definitions; 0 picks a free port).',
              })
            : err,
        ),
      )
      server.listen(port, this.host, () => resolve())
    })
    return { server, port: (server.address() as AddressInfo).port }
  }

  /** Stop accepting and destroy every open connection of `server`. */
  close(server: AnyServer): Promise<void> {
    return new Promise((resolve) => {
      server.close(() => resolve())
      for (const socket of this.sockets.get(server) ?? []) socket.destroy()
      this.sockets.delete(server)
    })
  }
}
