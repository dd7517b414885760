import { describe, expect, it } from 'vitest';
import { parseRequestFile } from '../../../lambdas/core/privacy/request-file';

describe('parseRequestFile', () => {
  it('reads access and erase rows and reports each bad row by line without its content', () => {
    // Act
    const file = parseRequestFile(
      'subject,action,note\nC1,access,x\nsam@example.com,ERASE,\n,erase,\nC2,delete,\nnot an @ email,access,\n',
    );

    // Assert
    expect(file.rows).toEqual([
      { line: 2, action: 'access', subject: { kind: 'customer_id', value: 'C1' } },
      { line: 3, action: 'erase', subject: { kind: 'email', value: 'sam@example.com' } },
    ]);
    expect(file.errors).toEqual([
      { line: 4, reason: 'subject is empty' },
      { line: 5, reason: 'action is not access or erase' },
      { line: 6, reason: 'subject is not a customer ID, an email address or a phone number' },
    ]);
    expect(JSON.stringify(file.errors)).not.toContain('not an @ email');
  });

  it('refuses a file without the subject and action columns, or without a row', () => {
    expect(() => parseRequestFile('id,what\nC1,access\n')).toThrow(/subject and action/);
    expect(() => parseRequestFile('subject,action\n')).toThrow(/no request row/);
  });
});
