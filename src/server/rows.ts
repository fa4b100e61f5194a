/**
 * Rows sent as one list of field names and an array of values per row, so a
 * key is not repeated ten thousand times. Pure: the page decodes with it too.
 */
export interface Rows<T> {
  fields: (keyof T & string)[];
  values: unknown[][];
}

export function toRows<T extends object>(rows: readonly T[], fields: (keyof T & string)[]): Rows<T> {
  return { fields, values: rows.map((row) => fields.map((f) => row[f])) };
}

export function fromRows<T>(rows: Rows<T>): T[] {
  return rows.values.map((values) => {
    const row: Record<string, unknown> = {};
    rows.fields.forEach((f, i) => {
      row[f] = values[i];
    });
    return row as T;
  });
}
