import { describe, expect, it } from 'vitest';
import { toolParser } from '@mrd-tools/tool-kit/cli';
import { checkEnvironment, envName, environmentHelp, splitEnvironmentLists } from './env-options.js';

const numbers = { port: { integer: true, min: 0, max: 65535 }, 'idle-timeout': { min: 0 } };
const parser = () => toolParser([], { name: 'mrd-server', version: '0', usage: '$0 [options]', numbers })
  .option('port', { alias: 'p', type: 'number', default: 9002 })
  .option('defaultConfig', { alias: 'd', type: 'string', default: 'x' })
  .option('savedata', { alias: 's', type: 'boolean', default: false })
  .option('idle-timeout', { type: 'number', default: 300 })
  .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text' })
  .option('modules-dir', { type: 'string', array: true, default: [] as string[] })
  .option('secret', { type: 'string', hidden: true });
const spec = { name: 'mrd-server', usage: 'mrd-server [options]', numbers };

describe('MRD_SERVER_* environment variables', () => {
  it('are named after the options', () => {
    expect(envName('port')).toBe('MRD_SERVER_PORT');
    expect(envName('http-port')).toBe('MRD_SERVER_HTTP_PORT');
    expect(envName('defaultConfig')).toBe('MRD_SERVER_DEFAULT_CONFIG');
    expect(envName('savedataFolder')).toBe('MRD_SERVER_SAVEDATA_FOLDER');
    const help = environmentHelp(parser());
    expect(help).toContain('MRD_SERVER_IDLE_TIMEOUT  (--idle-timeout)');
    expect(help).not.toContain('MRD_SERVER_P ');
    expect(help).not.toContain('SECRET');
  });

  it('a wrong variable or value is a usage error naming the variable', () => {
    const check = (env: Record<string, string>) => () => checkEnvironment(parser(), { ...env }, spec);
    expect(check({ MRD_SERVER_PROT: '1' })).toThrow('mrd-server: error: environment variable MRD_SERVER_PROT is not an option of mrd-server (did you mean MRD_SERVER_PORT?)');
    expect(check({ MRD_SERVER_PORT: 'abc' })).toThrow("environment variable MRD_SERVER_PORT: invalid value 'abc' (expected an integer from 0 to 65535)");
    expect(check({ MRD_SERVER_PORT: '' })).toThrow(/MRD_SERVER_PORT: invalid value ''/);
    expect(check({ MRD_SERVER_IDLE_TIMEOUT: '-1' })).toThrow(/expected a number >= 0/);
    expect(check({ MRD_SERVER_SAVEDATA: 'maybe' })).toThrow("environment variable MRD_SERVER_SAVEDATA: invalid value 'maybe' (expected true or false)");
    expect(check({ MRD_SERVER_LOG_FORMAT: 'xml' })).toThrow("environment variable MRD_SERVER_LOG_FORMAT: invalid choice 'xml' (choose from 'text', 'json')");
    // the server's own variable for its session processes, and other prefixes, are not options
    expect(checkEnvironment(parser(), { MRD_SERVER_SESSION: '{}', MRD_SERVERX: '1', PATH: '/bin' }, spec)).toEqual(new Set());
  });

  it('booleans take 1/0, yes/no, on/off; flags win over variables; folder lists split on ":"', async () => {
    const env: NodeJS.ProcessEnv = { MRD_SERVER_SAVEDATA: 'YES', MRD_SERVER_PORT: '1234', MRD_SERVER_DEFAULT_CONFIG: 'null', MRD_SERVER_MODULES_DIR: 'a:b' };
    const set = checkEnvironment(parser(), env, spec);
    expect(env.MRD_SERVER_SAVEDATA).toBe('true');
    expect([...set].sort()).toEqual(['defaultConfig', 'modules-dir', 'port', 'savedata']);
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const fromEnv = await toolParser(['-p', '5'], { name: 'mrd-server', version: '0', usage: '$0', numbers }).env('MRD_SERVER')
        .option('port', { alias: 'p', type: 'number', default: 9002 }).option('defaultConfig', { alias: 'd', type: 'string' })
        .option('savedata', { alias: 's', type: 'boolean', default: false }).option('modules-dir', { type: 'string', array: true, default: [] as string[] })
        .parseAsync();
      splitEnvironmentLists(fromEnv as Record<string, unknown>, set, ['-p', '5'], ['modules-dir']);
      expect([fromEnv.port, fromEnv.defaultConfig, fromEnv.savedata, fromEnv['modules-dir']]).toEqual([5, 'null', true, ['a', 'b']]);
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
