/** One CSV record: its fields, and the 1-based line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A record that could not be read, and the line it starts on. */
export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  problems: CsvProblem[];
}

/**
 * Parse CSV text as RFC 4180 describes it: fields separated by commas, records ended by a line
 * break (LF, CRLF or CR); a field in double quotes may hold commas, line breaks and doubled
 * quotes (`""` is one `"`). A leading byte-order mark and blank lines are skipped; fields are
 * returned as written (not trimmed). Line breaks inside quoted fields come back as `\n`.
 *
 * Never throws. A record with a problem (a quote inside an unquoted field, text after a closing
 * quote, a quoted field never closed) is reported with its line and left out; reading resumes on
 * the next line.
 */
export function parseCsv(input: string): CsvResult {
  const text = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let problem: string | null = null;
    for (;;) {
      let value: string;
      if (text[i] === '"') {
        const parts: string[] = [];
        let from = ++i;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            parts.push(text.slice(from, i));
            if (text[i + 1] === '"') {
              parts.push('"');
              i += 2;
              from = i;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          i++;
        }
        if (!closed) {
          problems.push({ line: start, message: 'a quoted field is never closed (a " is missing)' });
          return { records, problems };
        }
        value = parts.join('');
        if (i < n && text[i] !== ',' && text[i] !== '\n') {
          problem = 'text after a closing quote (write a " inside a quoted field as "")';
        }
      } else {
        const from = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n') i++;
        value = text.slice(from, i);
        if (value.includes('"')) {
          problem = 'a " inside an unquoted field (quote the whole field and double the inner quotes)';
        }
      }
      fields.push(value);
      if (problem !== null || text[i] !== ',') break;
      i++;
    }
    if (problem !== null) {
      problems.push({ line: start, message: problem });
      while (i < n && text[i] !== '\n') i++;
    }
    if (text[i] === '\n') {
      i++;
      line++;
    }
    const blank = fields.length === 1 && fields[0]?.trim() === '';
    if (problem === null && !blank) records.push({ line: start, fields });
  }
  return { records, problems };
}
