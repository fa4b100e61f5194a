/**
 * Where both Can't-Be-Late tasks read their traces: `<data>/<task>/real_traces.tar.gz`,
 * checked against its manifest, read once per archive path (again after a failure).
 */
import { DATA_DIR_VARIABLE, DataError, dataPath, verifiedDataPath } from "./data.ts";
import { readTarGz } from "./tar.ts";

const ARCHIVE = "real_traces.tar.gz";

/**
 * A loader of `dataSet`'s traces: the tar members `keep` accepts, parsed by
 * `parse` (which names `file`, the archive, in its errors).
 */
export function tracesLoader<T>(
  dataSet: string,
  keep: (path: string) => boolean,
  parse: (files: Map<string, Buffer>, file: string) => T,
): { archiveFile(): string; loadTraces(): Promise<T> } {
  const cache = new Map<string, Promise<T>>();
  const archiveFile = () => dataPath(dataSet, ARCHIVE);
  const read = async (file: string): Promise<T> => {
    let files: Map<string, Buffer>;
    try {
      files = await readTarGz(verifiedDataPath(dataSet, ARCHIVE), keep);
    } catch (err) {
      if (err instanceof DataError) throw err;
      throw new Error(
        `${dataSet}: ${(err as Error).message} (set ${DATA_DIR_VARIABLE} to the data folder that holds ${dataSet}/${ARCHIVE})`,
      );
    }
    return parse(files, file);
  };
  return {
    archiveFile,
    loadTraces() {
      const file = archiveFile();
      let pending = cache.get(file);
      if (!pending) {
        pending = read(file);
        cache.set(file, pending);
        pending.catch(() => cache.delete(file));
      }
      return pending;
    },
  };
}
