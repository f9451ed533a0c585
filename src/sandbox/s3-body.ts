import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

// GetObject's Body as the SDK hands it out in Node: a Readable with the SDK's stream
// mixin (transformToByteArray / transformToString / transformToWebStream), each of
// which may be used once, with the SDK's error messages.

const TRANSFORMED = 'The stream has already been transformed.';

export interface SdkBody extends Readable {
  transformToByteArray(): Promise<Uint8Array>;
  transformToString(encoding?: string): Promise<string>;
  transformToWebStream(): WebReadableStream;
}

async function collect(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export function sdkBody(bytes: Uint8Array): SdkBody {
  const stream = new PassThrough();
  stream.end(Buffer.from(bytes));
  let transformed = false;
  const toBytes = async () => {
    if (transformed) throw new Error(TRANSFORMED);
    transformed = true;
    return collect(stream);
  };
  return Object.assign(stream, {
    transformToByteArray: toBytes,
    async transformToString(encoding?: string): Promise<string> {
      const buf = await toBytes();
      if (encoding === undefined || Buffer.isEncoding(encoding))
        return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString(encoding as BufferEncoding | undefined);
      return new TextDecoder(encoding).decode(buf);
    },
    transformToWebStream(): WebReadableStream {
      if (transformed) throw new Error(TRANSFORMED);
      if (stream.readableFlowing !== null) throw new Error('The stream has been consumed by other callbacks.');
      transformed = true;
      return Readable.toWeb(stream) as WebReadableStream;
    },
  });
}
