import { describe, expect, it } from 'vitest';
import { datasetForKey } from '../../../lambdas/core/ingest/datasets';
import { planRanges, type RangePlan } from '../../../lambdas/core/ingest/range-plan';
import { readDatasetRows, type ValidatedRecord } from '../../../lambdas/core/ingest/read-rows';

const customers = datasetForKey('crm/customers.csv')!;
const HEADER = 'customer_id,email,first_name,last_name,phone,postcode,created_at';

/** A customers file with everything that makes splitting hard, in LF or CRLF. */
function awkwardFile(eol: '\n' | '\r\n', bom: boolean): string {
  const lines = [
    HEADER,
    'C1,a@example.com,"Mary' + eol + 'Ann",Lee,,12345,2025-01-01T00:00:00Z',
    'C2,,"Bo ""the"" one",Li,,,2025-01-02T00:00:00Z',
    '',
    'C3,not-an-email,Al,"Ng' + eol + eol + 'x",,,2025-01-03T00:00:00Z',
    'C4,d@example.com,Di,Wu,(212) 555-0142,,yesterday',
    'C1,a@example.com,"Mary' + eol + 'Ann",Lee,,12345,2025-01-01T00:00:00Z',
    'C5,e@example.com,"a,b",Ko,,,1735689600',
    'C6,too,many,columns,here,,,,',
    'C7,f@example.com,Fi,"Lo' + '\n' + 'ng",,,2025-01-07T00:00:00Z',
    'C8,g@example.com,Gi,Ha,,,2025-01-08T00:00:00Z',
  ];
  return (bom ? '\uFEFF' : '') + lines.join(eol) + eol;
}

async function records(
  bytes: Buffer,
  options: Parameters<typeof readDatasetRows>[3] = {},
): Promise<ValidatedRecord[]> {
  const out: ValidatedRecord[] = [];
  for await (const record of readDatasetRows([bytes], customers, 'crm/customers.csv', options))
    out.push(record);
  return out;
}

/** What a person sees of a record: good values or problems, by line (bytes differ by design). */
function seen(list: ValidatedRecord[]) {
  return list
    .filter((r) => r.kind !== 'header')
    .map((r) =>
      r.kind === 'row' ? { line: r.line, values: r.values } : { line: r.line, problems: r.problems },
    );
}

async function readInRanges(bytes: Buffer, plan: RangePlan) {
  const all: ValidatedRecord[] = [];
  for (const range of plan.ranges) {
    const part = bytes.subarray(range.start, range.end);
    const options =
      range.start === 0
        ? { linesBefore: 0 }
        : { header: plan.header, linesBefore: range.linesBefore, recordDelimiter: plan.recordDelimiter };
    all.push(...(await records(part, options)));
  }
  return all;
}

describe('planRanges', () => {
  it('never splits inside quotes: every range starts right after a record delimiter outside quotes', () => {
    const file = Buffer.from(awkwardFile('\n', false));

    const plan = planRanges(file, 1);

    // With 1-byte parts, every proven record boundary is a split.
    const starts = plan.ranges.map((r) => r.start);
    const expected = [0];
    let inQuotes = false;
    for (let i = 0; i < file.length; i++) {
      if (file[i] === 0x22) inQuotes = !inQuotes;
      if (file[i] === 0x0a && !inQuotes && i + 1 < file.length) expected.push(i + 1);
    }
    expect(starts).toEqual(expected);
    expect(plan.header).toBe(HEADER);
    expect(plan.recordDelimiter).toBe('\n');
    expect(plan.ranges.at(-1)!.end).toBe(file.length);
  });

  it('reads the delimiter and header of a CRLF file with a BOM, and splits only after CRLF', () => {
    const file = Buffer.from(awkwardFile('\r\n', true));

    const plan = planRanges(file, 1);

    expect(plan.header).toBe(HEADER);
    expect(plan.recordDelimiter).toBe('\r\n');
    for (const range of plan.ranges.slice(1)) {
      expect(file.subarray(range.start - 2, range.start).toString()).toBe('\r\n');
    }
    // The lone LF inside quotes (C7's last name) is no split; nor is any CRLF inside quotes.
    expect(plan.ranges.map((r) => file.subarray(r.start, r.start + 2).toString())).not.toContain('ng');
    expect(plan.ranges.length).toBe(11);
  });

  it('stops splitting after quoting it cannot follow, and says why', () => {
    const file = Buffer.from(`${HEADER}\nC1,,a,b,,,1\nC2,,x"y,b,,,1\nC3,,"a\nb",c,,,1\nC4,,a,b,,,1\n`);

    const plan = planRanges(file, 1);

    expect(plan.ranges.map((r) => r.start)).toEqual([0, HEADER.length + 1, HEADER.length + 13]);
    expect(plan.stoppedSplitting).toMatch(/a quote appears inside an unquoted field/);
    expect(plan.ranges.at(-1)!.end).toBe(file.length);
  });

  it('makes parts of about the size asked', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `C${i},,A,B,,,1735689600`);
    const file = Buffer.from([HEADER, ...rows].join('\n') + '\n');

    const plan = planRanges(file, 4000);

    expect(plan.ranges.length).toBe(Math.ceil(file.length / 4000));
    for (const range of plan.ranges.slice(0, -1)) {
      expect(range.end - range.start).toBeGreaterThanOrEqual(4000 - (range.index === 0 ? 0 : 0));
      expect(range.end - range.start).toBeLessThan(4000 + 30);
    }
  });

  it('keeps a file with a lone-CR first line, or no line end, in one range', () => {
    expect(planRanges(Buffer.from(`${HEADER}\rC1,,a,b,,,1\r`), 1).ranges).toHaveLength(1);
    expect(planRanges(Buffer.from(HEADER), 1).ranges).toHaveLength(1);
  });
});

describe('reading a file in planned ranges', () => {
  it.each([
    ['LF', '\n', false],
    ['CRLF with a BOM', '\r\n', true],
  ] as const)(
    'gives the same rows, problems and line numbers as reading it whole (%s)',
    async (_name, eol, bom) => {
      const file = Buffer.from(awkwardFile(eol, bom));
      const whole = seen(await records(file));
      expect(whole.filter((r) => 'problems' in r).length).toBeGreaterThan(0);

      for (const partBytes of [1, 17, 60, 150, file.length]) {
        const plan = planRanges(file, partBytes);
        expect(seen(await readInRanges(file, plan))).toEqual(whole);
      }
    },
  );
});
