import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { validateCreateInstance, validateInstanceRef, validateInstanceUpdate } from './instance.js';
import { codePointLength, nameProblem } from './names.js';

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('nameProblem', () => {
  it.each([
    ['audit-log'],
    ['a'],
    ['x'.repeat(200)],
    ['😀'.repeat(200)], // 400 UTF-16 units, 200 code points
    [' padded '],
    ['ünïcödé name'],
  ])('given %j, when checked, then it is a valid name', (name) => {
    expect(nameProblem(name, 'names')).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'only whitespace'],
    ['\u3000', 'only whitespace'],
    ['x'.repeat(201), 'is 201 characters long'],
    ['😀'.repeat(201), 'is 201 characters long'],
    ['a\u0000b', 'control character U+0000 at index 1'],
    ['tab\there', 'control character U+0009'],
    ['del\u007f', 'control character U+007F'],
    ['\ud800x', 'lone surrogate'],
  ])('given %j, when checked, then the problem says %s', (name, text) => {
    expect(nameProblem(name, 'names')).toContain(text);
  });

  it('given surrogate pairs, when counting, then each pair is one character', () => {
    expect(codePointLength('a😀b')).toBe(3);
  });
});

describe('validateCreateInstance', () => {
  it('given a name and description, when validated, then both are kept exactly (no trimming)', () => {
    expect(validateCreateInstance(' orders ', 'All orders\nper region')).toEqual({
      name: ' orders ',
      description: 'All orders\nper region',
    });
  });

  it('given no description or null, when validated, then there is none', () => {
    expect(validateCreateInstance('orders')).toEqual({ name: 'orders' });
    expect(validateCreateInstance('orders', null)).toEqual({ name: 'orders' });
  });

  it('given an empty description, when validated, then it is kept', () => {
    expect(validateCreateInstance('orders', '')).toEqual({ name: 'orders', description: '' });
  });

  it.each([
    ['no name', [undefined], 'name', 'is required; give an instance name'],
    ['a numeric name', [42], 'name', 'got the number 42'],
    ['an empty name', [''], 'name', 'must not be empty'],
    [
      'a 201-character name',
      ['n'.repeat(201)],
      'name',
      'is 201 characters long; instance names are strings of 1–200',
    ],
    ['a name with a newline', ['a\nb'], 'name', 'control character'],
    ['a numeric description', ['ok', 5], 'description', 'expected a description'],
    ['a 2001-character description', ['ok', 'd'.repeat(2001)], 'description', 'is 2001 characters long'],
    ['a NUL in the description', ['ok', 'a\u0000'], 'description', 'NUL'],
  ])('given %s, when validated, then VALIDATION_ERROR names the parameter', (_n, args, path, text) => {
    const error = errorOf(() => validateCreateInstance(...(args as [unknown, unknown?])));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toContain(text);
  });
});

describe('validateInstanceRef', () => {
  it('given an id or a name, when validated, then it is returned as given', () => {
    expect(validateInstanceRef('audit-log')).toBe('audit-log');
    expect(validateInstanceRef('5a0c8a4e-6f0e-4c4e-9b1a-3d6b1c1b2a10')).toBe(
      '5a0c8a4e-6f0e-4c4e-9b1a-3d6b1c1b2a10',
    );
  });

  it.each([
    [undefined, 'is required'],
    [null, 'got null'],
    [7, 'got the number 7'],
    ['', 'must not be empty'],
    [{ id: 'x' }, 'got an object'],
  ])('given %j, when validated, then VALIDATION_ERROR at instanceId', (ref, text) => {
    const error = errorOf(() => validateInstanceRef(ref));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toMatch(/^instanceId: /);
    expect(error.message).toContain(text);
  });

  it('given another parameter name, when invalid, then the message uses it', () => {
    expect(errorOf(() => validateInstanceRef(1, 'instance')).message).toMatch(/^instance: /);
  });
});

describe('validateInstanceUpdate', () => {
  it.each([
    [{ name: 'renamed' }, { name: 'renamed' }],
    [{ description: 'new' }, { description: 'new' }],
    [{ description: null }, { description: null }],
    [
      { name: 'n', description: 'd' },
      { name: 'n', description: 'd' },
    ],
    [{ name: 'n', description: undefined }, { name: 'n' }],
  ])('given %j, when validated, then the patch is %j', (updates, expected) => {
    expect(validateInstanceUpdate(updates)).toEqual(expected);
  });

  it.each([
    [undefined, 'updates', 'expected the instance updates (an object), got nothing'],
    ['x', 'updates', 'got the string "x"'],
    [{}, 'updates', 'has nothing to update'],
    [{ name: undefined }, 'updates', 'has nothing to update'],
    [{ name: '' }, 'updates.name', 'must not be empty'],
    [{ name: null }, 'updates.name', 'got null'],
    [{ description: 3 }, 'updates.description', 'expected a description'],
    [
      { title: 'x' },
      'updates.title',
      'is not a known key of the instance updates; allowed keys are name, description',
    ],
  ])('given %j, when validated, then VALIDATION_ERROR at %s', (updates, path, text) => {
    const error = errorOf(() => validateInstanceUpdate(updates));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toContain(text);
  });
});
