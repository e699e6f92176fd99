/**
 * A container's health check (Docker's HEALTHCHECK): its test, timings and the state the
 * engine keeps for it (State.Health). The container's own `Healthcheck` wins; fields it leaves
 * at zero come from the image's, as dockerd merges them.
 */
export interface HealthConfig {
  /** `["CMD", …]`, `["CMD-SHELL", "…"]`, `["NONE"]`, or empty to inherit the image's. */
  Test?: string[];
  /** Nanoseconds; 0 means the default. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthResult[];
}

/** Docker's defaults: 30 s interval and timeout, 3 retries, no start period, 5 s start interval. */
const DEFAULT = { interval: 30_000, timeout: 30_000, startPeriod: 0, startInterval: 5_000, retries: 3 };

export interface EffectiveCheck {
  /** The command to exec. */
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : dflt);

/** The check to run, or undefined when there is none (absent, or `NONE`). */
export function effectiveCheck(own: HealthConfig | undefined, image: HealthConfig | undefined): EffectiveCheck | undefined {
  const test = own?.Test?.length ? own.Test : image?.Test;
  if (!test?.length || test[0] === 'NONE') return undefined;
  const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test[0] === 'CMD' ? test.slice(1) : test;
  if (cmd.length === 0) return undefined;
  const pick = (k: keyof HealthConfig) => ((own?.[k] as number | undefined) || (image?.[k] as number | undefined)) ?? 0;
  return {
    cmd,
    intervalMs: ms(pick('Interval'), DEFAULT.interval),
    timeoutMs: ms(pick('Timeout'), DEFAULT.timeout),
    startPeriodMs: ms(pick('StartPeriod'), DEFAULT.startPeriod),
    startIntervalMs: ms(pick('StartInterval'), DEFAULT.startInterval),
    retries: pick('Retries') || DEFAULT.retries,
  };
}

/** The state after one probe, by Docker's rules (failures in the start period do not count). */
export function nextState(prev: HealthState, r: HealthResult, check: EffectiveCheck, inStartPeriod: boolean): HealthState {
  const Log = [...prev.Log, r].slice(-5);
  if (r.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (inStartPeriod && prev.Status === 'starting') return { ...prev, Log };
  const FailingStreak = prev.FailingStreak + 1;
  return { Status: FailingStreak >= check.retries ? 'unhealthy' : prev.Status, FailingStreak, Log };
}
