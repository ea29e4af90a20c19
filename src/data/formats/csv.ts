// A small RFC-4180 CSV reader/writer that keeps line numbers for error messages.
import { DataError } from '../errors.js';

export interface CsvRow {
  /** 1-based line number of the row's first line in the file. */
  line: number;
  cells: string[];
}

export interface Csv {
  /** Header cells, trimmed (some public files have ", Usage" with a space). */
  header: string[];
  rows: CsvRow[];
}

/** Parse CSV text; `hasHeader` false gives header [] and every line as a row. */
export function parseCsv(text: string, file: string, hasHeader = true): Csv {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let inQuotes = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  const n = text.length;
  const endRow = (): void => {
    cells.push(cell);
    cell = '';
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
  };
  for (; i < n; i++) {
    const ch = text[i] as string;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell.length === 0) inQuotes = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (inQuotes) throw new DataError(file, rowLine, 'unterminated quoted field');
  if (cell.length > 0 || cells.length > 0) endRow();
  if (!hasHeader) return { header: [], rows };
  const head = rows.shift();
  return { header: head ? head.cells.map((c) => c.trim()) : [], rows };
}

/**
 * Column index of each wanted name (case-insensitive, spaces trimmed); a DataError on line 1
 * lists what was expected and what the file has.
 */
export function requireColumns(csv: Csv, file: string, wanted: readonly string[]): number[] {
  const lower = csv.header.map((h) => h.toLowerCase());
  const missing = wanted.filter((w) => !lower.includes(w.toLowerCase()));
  if (missing.length > 0) {
    throw new DataError(file, 1, `wrong CSV columns: missing ${missing.join(', ')}; expected ${wanted.join(', ')}, found ${csv.header.join(', ') || '(empty header)'}`);
  }
  return wanted.map((w) => lower.indexOf(w.toLowerCase()));
}

export function optionalColumn(csv: Csv, name: string): number {
  return csv.header.map((h) => h.toLowerCase()).indexOf(name.toLowerCase());
}

function quote(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function formatCsv(header: readonly string[] | undefined, rows: readonly (readonly (string | number)[])[]): string {
  const out: string[] = [];
  if (header) out.push(header.map(quote).join(','));
  for (const r of rows) out.push(r.map((c) => quote(String(c))).join(','));
  return out.join('\n') + '\n';
}

/** A cell as shown in an error message (long cells, such as a shifted pixels column, cut). */
function show(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}…" (${raw.length} characters)` : `${raw}"`;
}

/** Integer cell or a DataError naming file, line and column. */
export function intCell(row: CsvRow, col: number, file: string, name: string): number {
  const raw = (row.cells[col] ?? '').trim();
  if (!/^-?\d+$/.test(raw)) throw new DataError(file, row.line, `column ${name}: expected an integer, got "${show(raw)}`);
  return Number(raw);
}

export function numCell(row: CsvRow, col: number, file: string, name: string): number {
  const raw = (row.cells[col] ?? '').trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) throw new DataError(file, row.line, `column ${name}: expected a number, got "${show(raw)}`);
  return v;
}
