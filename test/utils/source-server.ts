import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export type SourceHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * A local HTTP server standing in for an upstream source (the ECB, a price provider): it
 * records every request's URL in `requests` and answers with `handler`, which a test may
 * swap at any time. `url` is its origin (`http://127.0.0.1:<port>`).
 */
export class SourceServer {
  readonly requests: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.requests.push(req.url!);
    void this.handler(req, res);
  });
  private origin = '';

  private constructor(public handler: SourceHandler) {}

  static async start(handler: SourceHandler): Promise<SourceServer> {
    const source = new SourceServer(handler);
    await new Promise<void>((r) => source.server.listen(0, '127.0.0.1', r));
    const { port } = source.server.address() as AddressInfo;
    source.origin = `http://127.0.0.1:${port}`;
    return source;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.origin;
  }

  /** The price provider's URL template (`ETF_PRICES_URL`) served by this server. */
  get pricesUrl(): string {
    return `${this.url}/prices/{symbol}.csv?from={from}&to={to}`;
  }

  async close(): Promise<void> {
    const closed = new Promise((r) => this.server.close(r));
    this.server.closeAllConnections();
    await closed;
  }
}

/** A price provider: `/prices/<symbol>.csv` answers `files.get(symbol)`, or 404. */
export function servePriceFiles(files: ReadonlyMap<string, string>): SourceHandler {
  return (req, res) => {
    const symbol = decodeURIComponent(new URL(req.url!, 'http://x').pathname.split('/').pop()!);
    const body = files.get(symbol.replace(/\.csv$/, ''));
    if (body === undefined) return void res.writeHead(404).end('no such symbol');
    res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
  };
}
