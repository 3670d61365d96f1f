/**
 * Config names chosen by the client (CONFIG_FILE message, or `parameters.config` /
 * `parameters.customconfig` in the JSON additional config) select a recon module. They are
 * untrusted input: only plain identifiers are accepted, so a config name can never reach the
 * file system as a path (`../../x`, `/etc/passwd`, `a/b`, `.hidden`, NUL bytes are all refused).
 */

const CONFIG_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `name` is a plain identifier: letters, digits, `_`, `-`, 1 to 128 characters. */
export function isValidConfigName(name: unknown): name is string {
  return typeof name === 'string' && CONFIG_NAME.test(name);
}
