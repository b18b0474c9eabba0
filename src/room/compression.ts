/** gzip'd NDJSON, the format of every chunk the service writes to R2. */

export async function gzipNdjson(records: unknown[]): Promise<ArrayBuffer> {
  const text = records.map((record) => JSON.stringify(record)).join("\n") + (records.length ? "\n" : "");
  return gzip(text);
}

export async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

export async function gunzip(body: ReadableStream | ArrayBuffer): Promise<string> {
  const stream = body instanceof ArrayBuffer ? new Blob([body]).stream() : body;
  return new Response(stream.pipeThrough(new DecompressionStream("gzip"))).text();
}

export function parseNdjson<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

/** Numbers padded so that R2 keys list in numeric order. */
export function padKey(value: number): string {
  return String(value).padStart(12, "0");
}
