import { describe, expect, it } from 'vitest';
import { numericsThreads, setNumericsThreads, THREADS_ENV } from './numerics-threads.js';

describe('numericsThreads', () => {
  it('is the value set (--threads), else the available cores; a bad value is an error naming the variable', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(numericsThreads(env)).toBeGreaterThanOrEqual(1);
    setNumericsThreads(3, env);
    expect(env[THREADS_ENV]).toBe('3');
    expect(numericsThreads(env)).toBe(3);
    for (const bad of ['0', 'two', '1.5', '300']) expect(() => numericsThreads({ [THREADS_ENV]: bad })).toThrow(/MRD_TOOLS_THREADS must be a whole number from 1 to 256/);
  });
});
